using EventSourced.Commands.Clusters;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Clusters;
using EventSourced.Projections.Rebuild;
using EventSourced.Projections.Tests.Support;
using EventSourced.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Projections.Tests;

/// <summary>
/// The cluster-members view: clusters found by name in their space (by guids or by the context's names), a cluster's
/// children with their state, written in the append's transaction, and rebuilt from the log like the other views.
/// </summary>
public sealed class ClusterMembersTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = BrokerCommands.T0;
    private PostgresDatabase db = null!;
    private BrokerNode node = null!;

    private ClusterMembers Members => node.Services.GetRequiredService<ClusterMembers>();

    public async Task InitializeAsync()
    {
        db = await PostgresDatabase.Create();
        node = await BrokerNode.Start(db, daemon: false);
    }

    public async Task DisposeAsync()
    {
        await node.DisposeAsync();
        await db.DisposeAsync();
    }

    [Fact]
    public async Task ClustersAndChildren_AreFoundInTheAppendsTransaction_AndRebuiltFromTheLog()
    {
        var clusterId = Guid.NewGuid();
        await ProvisionCluster(clusterId, "team");
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        await RequestChild(first, clusterId);
        await RequestChild(second, clusterId);

        Assert.Equal([clusterId], (await Members.FindClusters("team", "org", "space")).Select(c => c.InstanceId));
        Assert.Equal([clusterId], (await Members.FindClusters("team", "org-name", "space-name")).Select(c => c.InstanceId));
        Assert.Empty(await Members.FindClusters("team", "org", "another-space"));
        var children = await Members.ChildrenOf(clusterId);
        Assert.Equal(new[] { first, second }.Order(), children.Select(c => c.InstanceId));
        Assert.All(children, c => Assert.Equal((clusterId, "Provisioning", OperationKind.Provision), (c.ClusterId, c.Status, c.LastOperation!.Kind)));

        await ReadModelRows.Execute(db.DataSource, [first, clusterId],
            "DELETE FROM broker.cluster_members WHERE instance_id = ANY($1)");
        await ReadModelRows.Execute(db.DataSource, [second], "UPDATE broker.cluster_members SET status = 'Corrupt', version = 0 WHERE instance_id = ANY($1)");
        Assert.Empty(await Members.FindClusters("team", "org", "space"));

        await node.Services.GetRequiredService<StreamViewRebuilder>().Rebuild(ClusterMembers.ProjectionName, null, CancellationToken.None);

        Assert.Equal([clusterId], (await Members.FindClusters("team", "org", "space")).Select(c => c.InstanceId));
        Assert.Equal(children, await Members.ChildrenOf(clusterId));
    }

    [Fact]
    public async Task DedicatedInstances_HaveNoRow_ADeletedClusterLosesIts()
    {
        var (dedicated, clusterId) = (Guid.NewGuid(), Guid.NewGuid());
        await node.Instances.Provision(dedicated);
        await ProvisionCluster(clusterId, "short-lived");
        await Accept(clusterId, state => ServiceInstanceDecisions.Decide(state, new DeprovisionServiceInstance(clusterId, Guid.NewGuid(), T0)));
        Assert.Single(await Members.FindClusters("short-lived", "org", "space"));

        var deprovisioning = ServiceInstance.Fold((await node.Services.GetRequiredService<StreamStore>().Read(ServiceInstance.StreamId(clusterId))).Events).LastOperation!.Id;
        await Accept(clusterId, state => ServiceInstanceDecisions.Decide(state,
            new RecordOperationOutcome(deprovisioning, new ServiceInstanceDeprovisioned(clusterId, deprovisioning, T0))));

        Assert.Empty(await Members.FindClusters("short-lived", "org", "space"));
        await using var rows = db.DataSource.CreateCommand("SELECT count(*) FROM broker.cluster_members");
        Assert.Equal(0L, (long)(await rows.ExecuteScalarAsync())!);
    }

    private async Task ProvisionCluster(Guid clusterId, string name)
    {
        var command = new ProvisionServiceInstance(clusterId, Guid.NewGuid(), "pg", "cluster-small", "org", "space", null,
            $$"""{"instance_name":"{{name}}","organization_name":"org-name","space_name":"space-name"}""", 1024, T0, Shape: InstanceShape.Cluster);
        var operation = await Accept(clusterId, state => ServiceInstanceDecisions.Decide(state, command));
        foreach (IDomainEvent outcome in new IDomainEvent[]
                 {
                     new StorageProvisioned(clusterId, operation, "/data/c", 1024, T0), new ServerProvisioned(clusterId, operation, "127.0.0.1", 20001, T0),
                     new ServiceInstanceProvisioned(clusterId, operation, T0),
                 })
            await Accept(clusterId, state => ServiceInstanceDecisions.Decide(state, new RecordOperationOutcome(operation, outcome)));
    }

    private async Task RequestChild(Guid childId, Guid clusterId)
    {
        var command = new ProvisionServiceInstance(childId, Guid.NewGuid(), "pg", "database", "org", "space", $$"""{"cluster":"{{clusterId}}"}""",
            null, 0, T0, Shape: InstanceShape.ClusterDatabase, ClusterId: clusterId);
        var decision = await node.Services.GetRequiredService<ClusterStore>().ProvisionChild(childId, clusterId,
            (child, cluster) => ClusterDecisions.Decide(child, cluster, command, "user"), new EventMetadata(Guid.NewGuid()));
        Assert.IsType<Decision.Accepted>(decision);
    }

    private async Task<Guid> Accept(Guid instanceId, Func<ServiceInstance, Decision> decide) =>
        Assert.IsType<Decision.Accepted>(await node.Instances.Handle(instanceId, decide, new EventMetadata(Guid.NewGuid()))).OperationId;
}
