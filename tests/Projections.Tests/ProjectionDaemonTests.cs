using EventSourced.Commands.EventStore;
using EventSourced.Projections.Daemon;
using EventSourced.Projections.Tests.TestEvents;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Projections.Tests;

public sealed class ProjectionDaemonTests
{
    [Fact]
    public async Task Daemon_AppendAfterStart_ShowsUpInReadModelThroughNotificationNotPolling()
    {
        await using var db = await ProjectionDatabase.Create();
        await db.AppendMany(streams: 2, perStream: 10, perAppend: 10);
        await db.UntilVisible(20);
        // A poll interval far beyond the deadline: only the LISTEN wake-up can make the deadline.
        await using var daemon = await DaemonHost.Start(db.Store, o => o.PollInterval = TimeSpan.FromMinutes(5));
        await Eventually.True(async () => await db.ProjectedEvents() == 20, "the daemon catches up on start");

        await db.Store.Append("counter-new", StreamVersion.NoStream, [new CounterIncremented("counter-new", 1, DateTimeOffset.UnixEpoch)], new EventMetadata(Guid.NewGuid()));

        await Eventually.True(async () => await db.ProjectedEvents() == 21, "the appended event is projected after the notification", seconds: 5);
        Assert.Equal((21L, 21L, true), await db.ReadModel());
    }

    [Fact]
    public async Task Status_BeforeAndAfterCatchUp_ReportsCheckpointAndEventsBehind()
    {
        var projection = new StreamEventCounts();
        await using var db = await ProjectionDatabase.Create(projection);
        await db.AppendMany(streams: 3, perStream: 10, perAppend: 5);
        await db.UntilVisible(30);
        var status = new ProjectionStatus(db.Store, db.Checkpoints, [projection]);

        var before = Assert.Single(await status.Read());
        await db.Runner(projection).CatchUp(CancellationToken.None);
        var after = Assert.Single(await status.Read());

        Assert.Equal(new SubscriptionStatus(StreamEventCounts.ProjectionName, GlobalCursor.Start, 30, null), before);
        Assert.Equal((await db.AllEvents())[^1].Cursor, after.Checkpoint);
        Assert.Equal(0, after.Behind);
        Assert.NotNull(after.UpdatedAt);
    }

    [Fact]
    public async Task AddProjection_RegistersOneInstanceAsProjectionAndSubscription()
    {
        await using var services = new ServiceCollection().AddProjection<StreamEventCounts>().BuildServiceProvider();

        var projection = Assert.Single(services.GetServices<Subscriptions.IProjection>());
        Assert.Same(projection, Assert.Single(services.GetServices<Subscriptions.IEventSubscription>()));
    }
}
