using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.ServiceInstances;
using EventSourced.Projections.Tests.Support;
using EventSourced.TestSupport;

namespace EventSourced.Projections.Tests;

/// <summary>The asynchronous instance directory, filled by Marten's daemon (HotCold, one node here).</summary>
public sealed class InstanceDirectoryTests : IAsyncLifetime
{
    private PostgresDatabase db = null!;
    private BrokerNode node = null!;

    public async Task InitializeAsync()
    {
        db = await PostgresDatabase.Create();
        node = await BrokerNode.Start(db, daemon: true);
    }

    public async Task DisposeAsync()
    {
        await node.DisposeAsync();
        await db.DisposeAsync();
    }

    [Fact]
    public async Task Daemon_InstancesProvisionedAndOneDeprovisioned_ListsTheLiveOnesAsTheirStreamsFold()
    {
        var (kept, provisioning, gone) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await node.Instances.Provision(kept);
        await node.Instances.RequestProvisioning(provisioning);
        await node.Instances.Provision(gone);
        await node.CaughtUp();
        Assert.NotNull(await node.Directory.Find(gone));

        await node.Instances.Deprovision(gone);
        await node.CaughtUp();

        Assert.Null(await node.Directory.Find(gone));
        Assert.Equal([await Folded(kept), await Folded(provisioning)], (await node.Directory.List()).OrderBy(s => s.InstanceId != kept));
        Assert.Equal(nameof(InstanceStatus.Provisioning), (await node.Directory.Find(provisioning))!.Status);
    }

    [Fact]
    public async Task Daemon_InstanceDeprovisionedAndProvisionedAgain_HasItsRowBack()
    {
        var id = Guid.NewGuid();
        await node.Instances.Provision(id);
        await node.Instances.Deprovision(id);
        await node.CaughtUp();
        Assert.Null(await node.Directory.Find(id));

        await node.Instances.Provision(id);
        // The daemon may project the provisioning's events over more than one page: wait for the row of the last one.
        var folded = await Folded(id);
        await Eventually.Until(() => node.Directory.Find(id), row => Equals(row, folded), $"the daemon projects the new provisioning to {folded}");
    }

    /// <summary>
    /// Marten's daemon finds new events by polling the log's high-water mark (there is no NOTIFY and no in-process wake-up):
    /// appends through another node — its own host, store and connections, no daemon — are projected all the same.
    /// </summary>
    [Fact]
    public async Task Daemon_EventsAppendedByAnotherNodeWithoutADaemon_AreProjectedHere()
    {
        await using var writer = await BrokerNode.Start(db, daemon: false);
        Assert.NotSame(node.Store, writer.Store);
        var (provisioned, requested) = (Guid.NewGuid(), Guid.NewGuid());

        await writer.Instances.Provision(provisioned);
        await writer.Instances.RequestProvisioning(requested);

        await Eventually.True(async () => await node.Directory.Find(provisioned) is not null && await node.Directory.Find(requested) is not null,
            "the daemon node projects the other node's appends");
        Assert.Equal(await Folded(provisioned), await node.Directory.Find(provisioned));
        Assert.Equal(await Folded(requested), await node.Directory.Find(requested));
    }

    private async Task<InstanceSummary> Folded(Guid instanceId) => InstanceSummary.Of((await node.Instances.Load(instanceId)).State);
}
