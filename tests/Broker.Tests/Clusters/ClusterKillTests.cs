using System.Net;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.Clusters;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Clusters;

/// <summary>
/// Brokers killed while a database in a cluster comes or goes, on real servers (which outlive the broker, as VMs do):
/// the next broker on the same state finishes the job, and the cluster's children stay exactly right.
/// </summary>
public sealed class ClusterKillTests : IAsyncLifetime
{
    private BrokerEnvironment _environment = null!;

    public async Task InitializeAsync() => _environment = await BrokerEnvironment.Create();

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public async Task BrokerKilledWhileADatabaseIsCreated_TheNextOneFinishesIt_AndTheClusterHoldsIt()
    {
        var (clusterId, databaseId) = (Guid.NewGuid(), Guid.NewGuid());
        await using (var first = await BrokerProcess.Start(_environment))
        {
            await (await first.Client.ProvisionCluster(clusterId, "kill-cluster")).AcceptedOperation();
            await first.Client.Succeeds(clusterId, () => first.Output);
            await (await first.Client.ProvisionDatabase(databaseId, new { cluster = "kill-cluster" })).AcceptedOperation();
            await first.Kill();
        }
        Assert.DoesNotContain(await _environment.InstanceEvents(databaseId), e => e is ServiceInstanceProvisioned);

        await using var second = await BrokerProcess.Start(_environment);
        await second.Client.Succeeds(databaseId, () => second.Output);
        var refused = await second.Client.DeleteInstance(clusterId, ClusterOsb.ClusterSmallPlanId);
        Assert.Equal(ClusterOsb.DeleteRefusal(databaseId), (string?)(await refused.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest"))["description"]);
        Assert.Single(await _environment.InstanceEvents(databaseId), e => e is DatabaseProvisioned);
    }

    [Fact]
    public async Task BrokerKilledWhileADatabaseIsDeleted_TheNextOneDetachesIt_AndTheClusterCanGo()
    {
        var (clusterId, databaseId) = (Guid.NewGuid(), Guid.NewGuid());
        await using (var first = await BrokerProcess.Start(_environment))
        {
            await (await first.Client.ProvisionCluster(clusterId, "detach-cluster")).AcceptedOperation();
            await first.Client.Succeeds(clusterId, () => first.Output);
            await (await first.Client.ProvisionDatabase(databaseId, new { cluster = "detach-cluster" })).AcceptedOperation();
            await first.Client.Succeeds(databaseId, () => first.Output);
            await (await first.Client.DeleteInstance(databaseId, ClusterOsb.DatabasePlanId)).AcceptedOperation();
            await first.Kill();
        }
        Assert.DoesNotContain(await _environment.InstanceEvents(clusterId), e => e is ChildInstanceDetached);

        await using var second = await BrokerProcess.Start(_environment);
        await second.Client.IsGone(databaseId, () => second.Output);
        await Eventually.True(async () => (await second.Client.DeleteInstance(clusterId, ClusterOsb.ClusterSmallPlanId)).StatusCode == HttpStatusCode.Accepted,
            "the cluster can be deleted once its database is detached", seconds: 30);
        await second.Client.IsGone(clusterId, () => second.Output);
        Assert.Single(await _environment.InstanceEvents(clusterId), e => e is ChildInstanceDetached);
    }
}
