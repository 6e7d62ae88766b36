using EventSourced.Commands.Catalog;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Deployments.Model;
using EventSourced.Deployments.Planning;
using EventSourced.Provisioners.Deployments;

namespace EventSourced.Provisioners.Tests.Deployments;

/// <summary>
/// Parameter <c>azs</c> as the engine plans it: the primary and its replicas spread as one over the AZs (every AZ gets a
/// server once there are as many servers as AZs, counts differ by at most one), a replica on a host of its AZ at an
/// address of that AZ's subnet; the primary never moves, and a change moves only the replicas of AZs taken out (or
/// surplus in an AZ). Without <c>azs</c> the replicas stay in the primary's AZ.
/// </summary>
public sealed class AzSplitPlanTests
{
    private static readonly Guid InstanceId = Guid.NewGuid();
    private static readonly ServicePlan Plan = new() { Id = "small", Name = "small", Metadata = { [InstanceCount.LimitMetadata] = "6" } };
    private static readonly string[] Azs = ["z1", "z2", "z3"];

    // One host per AZ, each with ten ports of its own: z1 node-a 30000-30009, z2 node-b 30010-30019, z3 node-c 30020-30029.
    private static readonly CloudConfig Cloud = new(
        Azs.Select((az, i) => new AvailabilityZone(az, [HostOf(az)])).ToList(), [], [],
        [new Network("loopback", Azs.Select((az, i) => new Subnet([az], Enumerable.Range(30000 + 10 * i, 10).Select(p => $"127.0.0.1:{p}").ToList(),
            new HashSet<string>(), new HashSet<string>())).ToList())]);

    private static string HostOf(string az) => $"node-{(char)('a' + Array.IndexOf(Azs, az))}";

    /// <summary>The primary on node-a (z1) at 30000, and replicas on the hosts given, on the first ports of their AZs.</summary>
    private static ServiceInstance Running(string parameters, params string[] replicaAzs) => ServiceInstance.Initial with
    {
        Id = InstanceId, Status = InstanceStatus.Provisioned, Host = "node-a", Server = new ServerInfo("127.0.0.1", 30000),
        Parameters = parameters,
        Replicas = [.. replicaAzs.Select((az, index) => new ReplicaInfo(index, "127.0.0.1", 30001 + 10 * Array.IndexOf(Azs, az) + index,
            $"replicas/{index}#0000000{index}", HostOf(az)))],
    };

    private static DeploymentPlan PlanFor(ServiceInstance running, string parameters)
    {
        var actual = PostgresServiceAdapter.Actual(running, Plan, null, Cloud);
        var desired = PostgresServiceAdapter.Manifest(InstanceId, Plan, null, parameters, null, Cloud, PostgresServiceAdapter.PrimaryAz(actual));
        Assert.Null(PostgresServiceAdapter.Unplaceable(desired, Cloud));
        var plan = Planner.Plan(desired, Cloud, actual, PostgresServiceAdapter.Rules);
        Assert.True(plan.Succeeded, string.Join("; ", plan.Failures));
        return plan;
    }

    private static List<string> Changes(DeploymentPlan plan) =>
        plan.Groups.SelectMany(g => g.Actions).Where(a => a.Kind != ActionKind.Keep)
            .Select(a => $"{a.Id} {a.Kind} {a.Target?.Az} {a.Target?.Host}".Trim()).ToList();

    /// <summary>Servers per AZ once the plan is applied, the primary included.</summary>
    private static Dictionary<string, int> ServersPerAz(DeploymentPlan plan) =>
        plan.Groups.SelectMany(g => g.Actions).Where(a => a.Target is not null).GroupBy(a => a.Target!.Az).ToDictionary(g => g.Key, g => g.Count());

    [Fact]
    public void TwoServersOverTwoAzs_PutTheReplicaOnTheOtherAzsHost_AtAnAddressOfItsSubnet_AndKeepThePrimary()
    {
        var plan = PlanFor(Running("""{"instances":1}"""), """{"instances":2,"azs":["z1","z2"]}""");

        Assert.Equal(["replicas/0 Create z2 node-b"], Changes(plan));
        Assert.Equal("127.0.0.1:30010", plan.Groups.Single(g => g.Group == PostgresServiceAdapter.ReplicaGroup).Actions.Single().Target!.Address);
        var primary = plan.Groups.Single(g => g.Group == PostgresServiceAdapter.Group).Actions.Single();
        Assert.Equal((ActionKind.Keep, "node-a", "127.0.0.1:30000"), (primary.Kind, primary.Target!.Host, primary.Target.Address));
    }

    [Fact]
    public void TakingAnAzOut_MovesOnlyItsReplica_ToTheAzsLeft()
    {
        var plan = PlanFor(Running("""{"instances":2,"azs":["z1","z2"]}""", "z2"), """{"instances":2,"azs":["z1"]}""");

        Assert.Equal(["replicas/0 Recreate z1 node-a"], Changes(plan));
        Assert.Contains("moves from AZ z2 to z1", plan.Groups.SelectMany(g => g.Actions).Single(a => a.Kind == ActionKind.Recreate).Reasons);
    }

    [Fact]
    public void ReplacingAnAz_MovesOnlyTheReplicaInIt_AndAddingOne_MovesOnlyTheSurplus()
    {
        // z1: primary; z2: replica 0; z3: replica 1 → [z1, z2]: replica 1 alone moves (to z1, which then has two servers).
        var narrowed = PlanFor(Running("""{"instances":3,"azs":["z1","z2","z3"]}""", "z2", "z3"), """{"instances":3,"azs":["z1","z2"]}""");
        Assert.Equal(["replicas/1 Recreate z1 node-a"], Changes(narrowed));

        // z1: primary and replica 1; z2: replica 0 → [z1, z2, z3]: replica 1, z1's surplus, alone moves to z3.
        var widened = PlanFor(Running("""{"instances":3,"azs":["z1","z2"]}""", "z2", "z1"), """{"instances":3,"azs":["z1","z2","z3"]}""");
        Assert.Equal(["replicas/1 Recreate z3 node-c"], Changes(widened));
    }

    [Fact]
    public void ABalancedSpreadWhoseAzsDidNotChange_MovesNothing_WhenScaledUpOnlyNewReplicasAreMade()
    {
        var running = Running("""{"instances":3,"azs":["z1","z2","z3"]}""", "z2", "z3");

        Assert.Empty(Changes(PlanFor(running, """{"instances":3,"azs":["z1","z2","z3"]}""")));
        Assert.All(Changes(PlanFor(running, """{"instances":5,"azs":["z1","z2","z3"]}""")), change => Assert.Contains(" Create ", change));
    }

    [Fact]
    public void WithoutAzs_TheReplicasStayInThePrimarysAz()
    {
        var plan = PlanFor(Running("""{"instances":1}"""), """{"instances":3}""");

        Assert.Equal(["replicas/0 Create z1 node-a", "replicas/1 Create z1 node-a"], Changes(plan));
    }

    [Fact]
    public void EveryAzGetsAServer_AndTheirCountsDifferByAtMostOne_ForEveryCountAndAzList()
    {
        string[][] lists = [["z1"], ["z1", "z2"], ["z2", "z1"], ["z1", "z3"], ["z1", "z2", "z3"], ["z3", "z2", "z1"]];
        foreach (var azs in lists)
        foreach (var instances in Enumerable.Range(azs.Length, 6 - azs.Length + 1))
        {
            var parameters = $$"""{"instances":{{instances}},"azs":["{{string.Join("\",\"", azs)}}"]}""";

            var perAz = ServersPerAz(PlanFor(Running("""{"instances":1}"""), parameters));

            Assert.True(azs.Order().SequenceEqual(perAz.Keys.Order()), $"{parameters}: {string.Join(", ", perAz)}");
            Assert.True(perAz.Values.Max() - perAz.Values.Min() <= 1, $"{parameters}: {string.Join(", ", perAz)}");
            Assert.Equal(instances, perAz.Values.Sum());
        }
    }

    [Fact]
    public void AnAzTheCloudConfigNoLongerHas_IsNamedBeforeAnythingIsPlanned()
    {
        var desired = PostgresServiceAdapter.Manifest(InstanceId, Plan, null, """{"instances":2,"azs":["z1","z9"]}""", null, Cloud, "z1");

        Assert.Equal("instance group 'replicas' names AZ 'z9', which the cloud config does not have", PostgresServiceAdapter.Unplaceable(desired, Cloud));
    }
}
