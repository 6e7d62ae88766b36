using EventSourced.Commands.EventStore;
using EventSourced.Projections.Checkpoints;
using EventSourced.Projections.Subscriptions;
using EventSourced.Projections.Tests.TestEvents;

namespace EventSourced.Projections.Tests;

public sealed class SubscriptionRunnerTests
{
    [Fact]
    public async Task CatchUp_HandleThrowsOnFourthBatch_BatchAndCheckpointRollBackTogetherThenApplyOnce()
    {
        var projection = new StreamEventCounts { FailingCalls = { 4 } };
        await using var db = await ProjectionDatabase.Create(projection);
        await db.AppendMany(streams: 10, perStream: 100, perAppend: 50);
        await db.UntilVisible(1000);
        var events = await db.AllEvents();
        var runner = db.Runner(projection, new SubscriptionOptions { BatchSize = 100 });

        await Assert.ThrowsAsync<InvalidOperationException>(() => runner.CatchUp(CancellationToken.None));

        Assert.Equal(300, await db.ProjectedEvents());
        Assert.Equal(events[299].Cursor, await db.Checkpoints.Load(projection.Name));

        await runner.CatchUp(CancellationToken.None);

        Assert.Equal((1000L, 1000L, true), await db.ReadModel());
        Assert.Equal(events[^1].Cursor, await db.Checkpoints.Load(projection.Name));
    }

    [Fact]
    public async Task Run_HandleFailsTwice_BacksOffAndRetriesWithoutSkippingOrDoubling()
    {
        var projection = new StreamEventCounts { FailingCalls = { 2, 3 } };
        await using var db = await ProjectionDatabase.Create(projection);
        await db.AppendMany(streams: 5, perStream: 100, perAppend: 25);
        var options = new SubscriptionOptions { BatchSize = 50, PollInterval = TimeSpan.FromMilliseconds(20), InitialBackoff = TimeSpan.FromMilliseconds(10) };
        using var stop = new CancellationTokenSource();

        var running = db.Runner(projection, options).Run(stop.Token);
        await Eventually.True(async () => await db.ProjectedEvents() >= 500, "the runner applies all 500 events");
        await stop.CancelAsync();
        await running;

        Assert.Equal((500L, 500L, true), await db.ReadModel());
        Assert.Empty(projection.FailingCalls);
    }

    [Fact]
    public async Task TwoRunners_SameProjectionConcurrentlyOver5000Events_ApplyEachEventExactlyOnce()
    {
        // Two instances with the same name stand for the same projection on two broker nodes.
        var nodeA = new StreamEventCounts();
        var nodeB = new StreamEventCounts();
        await using var db = await ProjectionDatabase.Create(nodeA);
        var options = new SubscriptionOptions { BatchSize = 100, PollInterval = TimeSpan.FromMilliseconds(10), LockRetryDelay = TimeSpan.FromMilliseconds(5) };
        using var stop = new CancellationTokenSource();

        var runners = Task.WhenAll(db.Runner(nodeA, options).Run(stop.Token), db.Runner(nodeB, options).Run(stop.Token));
        await db.AppendMany(streams: 50, perStream: 100, perAppend: 20, writers: 8);
        await Eventually.True(async () => await db.ProjectedEvents() >= 5000, "both runners together apply all 5,000 events");
        await db.Runner(nodeA, options).CatchUp(CancellationToken.None);
        await stop.CancelAsync();
        await runners;

        Assert.Equal((5000L, 5000L, true), await db.ReadModel());
        Assert.True(nodeA.BatchesApplied > 0 && nodeB.BatchesApplied > 0,
            $"both nodes should have applied batches (A: {nodeA.BatchesApplied}, B: {nodeB.BatchesApplied})");
    }

    [Fact]
    public async Task CatchUp_EventWithEarlierPositionCommittedLater_IsAppliedAfterItsCommitNotSkipped()
    {
        var projection = new StreamEventCounts();
        await using var db = await ProjectionDatabase.Create(projection);
        await db.AppendMany(streams: 1, perStream: 3, perAppend: 3);
        await db.UntilVisible(3);
        var runner = db.Runner(projection);

        await using (var connection = await db.DataSource.OpenConnectionAsync())
        await using (var late = await connection.BeginTransactionAsync())
        {
            await db.Store.Append(connection, late, "counter-late", StreamVersion.NoStream, [new CounterIncremented("counter-late", 1, DateTimeOffset.UnixEpoch)], new EventMetadata(Guid.NewGuid()));
            await db.Store.Append("counter-early", StreamVersion.NoStream, [new CounterIncremented("counter-early", 1, DateTimeOffset.UnixEpoch)], new EventMetadata(Guid.NewGuid()));

            await runner.CatchUp(CancellationToken.None);
            Assert.Equal(3, await db.ProjectedEvents());

            await late.CommitAsync();
        }
        await db.UntilVisible(5);
        await runner.CatchUp(CancellationToken.None);

        var events = await db.AllEvents();
        var lateEvent = Assert.Single(events, e => e.StreamId == "counter-late");
        var earlyEvent = Assert.Single(events, e => e.StreamId == "counter-early");
        Assert.True(lateEvent.Position < earlyEvent.Position, "the late transaction took the earlier position");
        Assert.Equal((5L, 5L, true), await db.ReadModel());
    }

    [Fact]
    public async Task Advance_FromStaleCheckpoint_ThrowsConflictAndLeavesCheckpoint()
    {
        await using var db = await ProjectionDatabase.Create();
        var first = new GlobalCursor(10, 1);
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await db.Checkpoints.Advance(connection, tx, "forwarder", GlobalCursor.Start, first);
            await tx.CommitAsync();
        }

        await using (var tx = await connection.BeginTransactionAsync())
        {
            await Assert.ThrowsAsync<CheckpointConflictException>(() => db.Checkpoints.Advance(connection, tx, "forwarder", GlobalCursor.Start, new GlobalCursor(11, 2)));
        }
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await Assert.ThrowsAsync<CheckpointConflictException>(() => db.Checkpoints.Advance(connection, tx, "forwarder", new GlobalCursor(9, 1), new GlobalCursor(11, 2)));
        }

        Assert.Equal(first, await db.Checkpoints.Load("forwarder"));
    }
}
