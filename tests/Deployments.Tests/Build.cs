using EventSourced.Deployments.Model;
using EventSourced.Deployments.Planning;

namespace EventSourced.Deployments.Tests;

/// <summary>A group as the property tests vary it.</summary>
public sealed record GroupSpec(string Name, int Instances, string[] Azs, string VmType = "small", string Version = "1",
    string Property = "a", int? Surge = null, int Canaries = 1, int MaxInFlight = 1, bool Disk = true, bool Serial = true)
{
    public override string ToString() =>
        $"{Name}×{Instances} azs=[{string.Join(",", Azs)}] {VmType} v{Version} p={Property} surge={Surge?.ToString() ?? "-"} canaries={Canaries} mif={MaxInFlight}{(Serial ? "" : " parallel")}";
}

/// <summary>Cloud configs and manifests built in code, for tests that generate many of them.</summary>
public static class Build
{
    /// <summary><paramref name="azs"/> AZs z1.., each with <paramref name="hosts"/> hosts and a subnet of
    /// <paramref name="addresses"/> addresses, the first two reserved.</summary>
    public static CloudConfig Cloud(int azs, int hosts = 2, int addresses = 40) => new(
        Enumerable.Range(1, azs).Select(z => new AvailabilityZone($"z{z}", Enumerable.Range(1, hosts).Select(h => $"h{z}-{h}").ToList())).ToList(),
        [new VmType("small", 1, 512), new VmType("large", 4, 4096)],
        [new DiskType("ten", 10240)],
        [new Network("default", Enumerable.Range(1, azs).Select(z => new Subnet([$"z{z}"],
            Enumerable.Range(1, addresses).Select(a => $"10.0.{z}.{a}").ToList(),
            new HashSet<string> { $"10.0.{z}.1", $"10.0.{z}.2" }, new HashSet<string>())).ToList())]);

    public static DeploymentManifest Manifest(IEnumerable<GroupSpec> groups, int? deploymentSurge = null)
    {
        var deployment = UpdatePolicy.Default with { Surge = deploymentSurge };
        return new DeploymentManifest("d", groups.Select(g => new InstanceGroup(g.Name, g.Instances, g.Azs, g.VmType,
            g.Disk ? "ten" : null, "default", [],
            [new Job("pg", "pg", g.Version, new Dictionary<string, string> { ["conf.x"] = g.Property }, [])],
            new UpdateBlock(g.Canaries, new InFlight(g.MaxInFlight, false), g.Serial, g.Surge).Over(deployment))).ToList(), deployment);
    }

    /// <summary>The state after deploying <paramref name="manifest"/> from nothing.</summary>
    public static ActualDeployment Deployed(DeploymentManifest manifest, CloudConfig cloud)
    {
        var plan = Planner.Plan(manifest, cloud, ActualDeployment.Empty);
        Assert.True(plan.Succeeded, string.Join("; ", plan.Failures));
        return Planner.Outcome(manifest, plan);
    }
}
