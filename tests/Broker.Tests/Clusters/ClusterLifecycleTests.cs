using System.Net;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Clusters;

/// <summary>A cluster that is not ready or going away: simulated steps that take a second each, so each moment can be caught.</summary>
public sealed class ClusterLifecycleTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> SlowSteps = new()
    {
        ["Provisioners__Backend"] = "simulated",
        ["Provisioners__Simulated__StepLatency"] = "00:00:01",
    };

    private BrokerEnvironment _environment = null!;

    public async Task InitializeAsync() => _environment = await BrokerEnvironment.Create(SlowSteps);

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public async Task Database_InAClusterBeingProvisionedOrDeleted_Is400SayingWhich()
    {
        await using var broker = await BrokerProcess.Start(_environment);
        var clusterId = Guid.NewGuid();
        await (await broker.Client.ProvisionCluster(clusterId, "slow-cluster")).AcceptedOperation();

        var early = await broker.Client.ProvisionDatabase(Guid.NewGuid(), new { cluster = "slow-cluster" });
        Assert.Equal($"cluster service instance guid={clusterId} is not ready yet: it is being provisioned.",
            (string?)(await early.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest"))["description"]);

        await broker.Client.Succeeds(clusterId, () => broker.Output);
        await (await broker.Client.DeleteInstance(clusterId, ClusterOsb.ClusterSmallPlanId)).AcceptedOperation();
        var late = await broker.Client.ProvisionDatabase(Guid.NewGuid(), new { cluster = clusterId.ToString() });
        Assert.Equal($"cluster service instance guid={clusterId} is being deleted.",
            (string?)(await late.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest"))["description"]);
        await broker.Client.IsGone(clusterId, () => broker.Output);
    }
}
