using EventSourced.Deployments.Model;
using EventSourced.Deployments.Simulation;
using FsCheck;
using FsCheck.Fluent;

namespace EventSourced.Deployments.Tests.Properties;

/// <summary>A random deployment and a random change to it: 1–4 AZs, 1–3 groups of 0–9 instances over random AZ
/// subsets, each field of each group changed or not (instances, AZs, vm type, job version, a property, surge,
/// canaries, max_in_flight), groups serial or running with the one before, a deployment-level surge, and random step times.</summary>
public sealed record Scenario(int Azs, GroupSpec[] Before, GroupSpec[] After, int? DeploymentSurge, StepTimes Times)
{
    public CloudConfig Cloud => Build.Cloud(Azs, hosts: 2, addresses: 80);
    public DeploymentManifest BeforeManifest => Build.Manifest(Before, DeploymentSurge);
    public DeploymentManifest AfterManifest => Build.Manifest(After, DeploymentSurge);

    public override string ToString() =>
        $"azs={Azs} surge={DeploymentSurge?.ToString() ?? "-"} times=({Times.Create.TotalSeconds}/{Times.Delete.TotalSeconds}/{Times.Hook.TotalSeconds})\n" +
        $"  before: {string.Join("\n          ", Before.Select(g => g.ToString()))}\n" +
        $"  after:  {string.Join("\n          ", After.Select(g => g.ToString()))}";
}

public static class Arbitraries
{
    public static Arbitrary<Scenario> Scenarios() => Arb.From(Scenario());

    private static Gen<string[]> AzSubset(int azs) =>
        Gen.SubListOf(Enumerable.Range(1, azs).Select(z => $"z{z}")).Where(l => l.Count > 0).Select(l => l.ToArray());

    private static Gen<GroupSpec> Group(string name, int azs) =>
        from instances in Gen.Choose(0, 9)
        from zones in AzSubset(azs)
        from vm in Gen.Elements("small", "large")
        from version in Gen.Elements("1", "2")
        from property in Gen.Elements("a", "b")
        from surge in Gen.Elements<int?>(null, 0, 1, 2, 5, 100)
        from canaries in Gen.Choose(0, 3)
        from inFlight in Gen.Choose(1, 4)
        from serial in Gen.Elements(true, true, false)
        select new GroupSpec(name, instances, zones, vm, version, property, surge, canaries, inFlight, Serial: serial);

    private static Gen<GroupSpec> Change(GroupSpec before, int azs) =>
        from fresh in Group(before.Name, azs)
        from mask in Gen.Choose(0, 255)
        select before with
        {
            Instances = (mask & 1) != 0 ? fresh.Instances : before.Instances,
            Azs = (mask & 2) != 0 ? fresh.Azs : before.Azs,
            VmType = (mask & 4) != 0 ? fresh.VmType : before.VmType,
            Version = (mask & 8) != 0 ? fresh.Version : before.Version,
            Property = (mask & 16) != 0 ? fresh.Property : before.Property,
            Surge = (mask & 32) != 0 ? fresh.Surge : before.Surge,
            Canaries = (mask & 64) != 0 ? fresh.Canaries : before.Canaries,
            MaxInFlight = (mask & 128) != 0 ? fresh.MaxInFlight : before.MaxInFlight,
            Serial = fresh.Serial,
        };

    private static Gen<Scenario> Scenario() =>
        from azs in Gen.Choose(1, 4)
        from count in Gen.Choose(1, 3)
        from before in FsCheck.FSharp.Gen.SequenceToArray(Enumerable.Range(0, count).Select(i => Group(((char)('a' + i)).ToString(), azs)))
        from after in FsCheck.FSharp.Gen.SequenceToArray(before.Select(g => Change(g, azs)))
        from surge in Gen.Elements<int?>(null, 0, 3)
        from create in Gen.Choose(1, 5)
        from delete in Gen.Choose(1, 5)
        from hook in Gen.Choose(0, 2)
        select new Scenario(azs, before.ToArray(), after.ToArray(), surge,
            new StepTimes(TimeSpan.FromSeconds(create), TimeSpan.FromSeconds(delete), TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500),
                TimeSpan.FromSeconds(hook)));
}
