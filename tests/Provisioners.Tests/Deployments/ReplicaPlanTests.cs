using EventSourced.Commands.Catalog;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Deployments.Planning;
using EventSourced.Provisioners.Deployments;

namespace EventSourced.Provisioners.Tests.Deployments;

/// <summary>
/// The PostgreSQL adapter's replicas as the engine plans them: <c>instances</c> N gives a group <c>replicas</c> of N - 1
/// linked to the primary; scaling up creates the missing indexes on the instance's host, each on an address no other
/// server holds; scaling down deletes the highest indexes and never touches the primary.
/// </summary>
public sealed class ReplicaPlanTests
{
    private static readonly Guid InstanceId = Guid.NewGuid();
    private static readonly ServicePlan Plan = new() { Id = "small", Name = "small", Metadata = { [InstanceCount.LimitMetadata] = "5" } };

    private static ServiceInstance Running(params int[] replicaPorts) => ServiceInstance.Initial with
    {
        Id = InstanceId, Status = InstanceStatus.Provisioned, Host = "vm", Server = new ServerInfo("127.0.0.1", 30000),
        Parameters = $$"""{"instances":{{replicaPorts.Length + 1}}}""",
        Replicas = [.. replicaPorts.Select((port, index) => new ReplicaInfo(index, "127.0.0.1", port, $"replicas/{index}#0000000{index}"))],
    };

    private static DeploymentPlan PlanFor(ServiceInstance running, int instances, IReadOnlySet<string>? heldElsewhere = null)
    {
        var cloud = LocalCloudConfig.For("vm", "127.0.0.1:30000", 30000, 30010);
        var desired = PostgresServiceAdapter.Manifest(InstanceId, Plan, null, $$"""{"instances":{{instances}}}""", null, cloud);
        return Planner.Plan(desired, cloud, PostgresServiceAdapter.Actual(running, Plan, null, cloud), PostgresServiceAdapter.Rules, heldElsewhere);
    }

    private static List<string> Changes(DeploymentPlan plan) =>
        plan.Groups.SelectMany(g => g.Actions).Where(a => a.Kind != ActionKind.Keep).Select(a => $"{a.Id} {a.Kind} {a.Target?.Address}".Trim()).ToList();

    [Fact]
    public void ScalingUp_CreatesTheMissingReplicas_OnFreeAddresses_LinkedToThePrimary_AndKeepsThePrimary()
    {
        var plan = PlanFor(Running(), 3, new HashSet<string> { "127.0.0.1:30001" });

        Assert.True(plan.Succeeded, string.Join("; ", plan.Failures));
        Assert.Equal(["replicas/0 Create 127.0.0.1:30002", "replicas/1 Create 127.0.0.1:30003"], Changes(plan));
        var replicas = PostgresServiceAdapter.Manifest(InstanceId, Plan, null, """{"instances":3}""", null,
            LocalCloudConfig.For("vm", "127.0.0.1:30000", 30000, 30010)).Group(PostgresServiceAdapter.ReplicaGroup)!;
        Assert.Equal(2, replicas.Instances);
        Assert.Equal(PostgresServiceAdapter.Group, Assert.Single(Assert.Single(replicas.Jobs).Consumes).FromGroup);
    }

    [Fact]
    public void ScalingDown_DeletesTheHighestReplicas_NeverThePrimary()
    {
        var plan = PlanFor(Running(30004, 30005, 30006), 2);

        Assert.True(plan.Succeeded, string.Join("; ", plan.Failures));
        Assert.Equal(["replicas/1 Delete", "replicas/2 Delete"], Changes(plan));
        Assert.Equal(["replicas/2 Delete", "replicas/1 Delete", "replicas/0 Delete"], Changes(PlanFor(Running(30004, 30005, 30006), 1)).OrderDescending().ToList());
    }

    [Fact]
    public void NothingChanged_PlansNothing()
    {
        Assert.Empty(Changes(PlanFor(Running(30004, 30005), 3)));
        Assert.Empty(Changes(PlanFor(Running(), 1)));
    }
}
