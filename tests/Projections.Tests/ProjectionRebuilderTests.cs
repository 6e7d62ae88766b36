using EventSourced.Projections.Rebuild;
using EventSourced.Projections.Subscriptions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EventSourced.Projections.Tests;

public sealed class ProjectionRebuilderTests
{
    [Fact]
    public async Task Rebuild_CorruptedReadModel_IsExactAgainAndProgressReachesTotal()
    {
        var projection = new StreamEventCounts();
        await using var db = await ProjectionDatabase.Create(projection);
        await db.AppendMany(streams: 10, perStream: 100, perAppend: 50);
        await db.UntilVisible(1000);
        await db.Runner(projection).CatchUp(CancellationToken.None);
        await db.Execute("UPDATE stream_event_counts SET events = events + 7");
        await db.Execute("DELETE FROM projected_events WHERE ctid IN (SELECT ctid FROM projected_events LIMIT 100)");
        Assert.False((await db.ReadModel()).CountsMatchVersions);
        var progress = new RecordedProgress();

        await Rebuilder(db, projection).Rebuild(StreamEventCounts.ProjectionName, progress, CancellationToken.None);

        Assert.Equal((1000L, 1000L, true), await db.ReadModel());
        Assert.Equal(new RebuildProgress(StreamEventCounts.ProjectionName, 0, 1000, 0), progress.Reports[0]);
        Assert.Equal((1000L, 1000L), (progress.Reports[^1].Processed, progress.Reports[^1].Total));
        Assert.True(progress.Reports[^1].EventsPerSecond > 0);
        Assert.Equal(progress.Reports.Select(r => r.Processed).Order(), progress.Reports.Select(r => r.Processed));
    }

    [Fact]
    public async Task Rebuild_WhileDaemonOnAnotherNodeRunsAndEventsArrive_EndsExact()
    {
        await using var db = await ProjectionDatabase.Create(new StreamEventCounts());
        await db.AppendMany(streams: 20, perStream: 100, perAppend: 20, writers: 4);
        await using var daemon = await DaemonHost.Start(db.Store, o =>
        {
            o.BatchSize = 50;
            o.PollInterval = TimeSpan.FromMilliseconds(10);
        });
        await Eventually.True(async () => await db.ProjectedEvents() == 2000, "the daemon catches up");
        await db.Execute("UPDATE stream_event_counts SET events = 0");
        var progress = new RecordedProgress();

        var arriving = db.AppendMany(streams: 10, perStream: 100, perAppend: 10, writers: 2);
        await Rebuilder(db, new StreamEventCounts()).Rebuild(StreamEventCounts.ProjectionName, progress, CancellationToken.None);
        await arriving;

        await Eventually.True(async () => await db.ProjectedEvents() >= 3000, "the daemon applies the events that arrived");
        Assert.Equal((3000L, 3000L, true), await db.ReadModel());
        Assert.True(progress.Reports[^1].Processed >= progress.Reports[^1].Total, $"progress reached the total: {progress.Reports[^1]}");
    }

    [Fact]
    public async Task RebuildAll_CorruptedReadModels_AreExactAgainAndEachProgressReachesTotal()
    {
        var (first, second) = (new StreamEventCounts(), new StreamEventCounts("_copy"));
        await using var db = await ProjectionDatabase.Create(first, second);
        await db.AppendMany(streams: 10, perStream: 100, perAppend: 50);
        await db.UntilVisible(1000);
        await db.Runner(first).CatchUp(CancellationToken.None);
        await db.Runner(second).CatchUp(CancellationToken.None);
        await db.Execute("UPDATE stream_event_counts SET events = events + 7; UPDATE stream_event_counts_copy SET events = 0");
        var progress = new RecordedProgress();

        await Rebuilder(db, first, second).Rebuild(ProjectionRebuilder.All, progress, CancellationToken.None);

        Assert.Equal((1000L, 1000L, true), await db.ReadModel());
        Assert.Equal((1000L, 1000L, true), await db.ReadModel("_copy"));
        foreach (var name in new[] { first.Name, second.Name })
        {
            var reports = progress.Reports.Where(r => r.Projection == name).ToList();
            Assert.Equal((1000L, 1000L), (reports[^1].Processed, reports[^1].Total));
            Assert.Equal(reports.Select(r => r.Processed).Order(), reports.Select(r => r.Processed));
        }
    }

    [Fact]
    public async Task RebuildAll_WhileDaemonOnAnotherNodeRunsOneOfThemAndEventsArrive_EndsExact()
    {
        var copy = new StreamEventCounts("_copy");
        await using var db = await ProjectionDatabase.Create(new StreamEventCounts(), copy);
        await db.AppendMany(streams: 20, perStream: 100, perAppend: 20, writers: 4);
        await using var daemon = await DaemonHost.Start(db.Store, o =>
        {
            o.BatchSize = 50;
            o.PollInterval = TimeSpan.FromMilliseconds(10);
        });
        await Eventually.True(async () => await db.ProjectedEvents() == 2000, "the daemon catches up");
        var progress = new RecordedProgress();

        var arriving = db.AppendMany(streams: 10, perStream: 100, perAppend: 10, writers: 2);
        await Rebuilder(db, new StreamEventCounts(), copy).Rebuild(ProjectionRebuilder.All, progress, CancellationToken.None);
        await arriving;

        await Eventually.True(async () => await db.ProjectedEvents() >= 3000, "the daemon applies the events that arrived");
        Assert.Equal((3000L, 3000L, true), await db.ReadModel());
        await db.UntilVisible(3000);
        await db.Runner(copy).CatchUp(CancellationToken.None);
        Assert.Equal((3000L, 3000L, true), await db.ReadModel("_copy"));
    }

    [Fact]
    public async Task Rebuild_UnknownProjectionName_FailsListingKnownProjections()
    {
        await using var db = await ProjectionDatabase.Create();

        var error = await Assert.ThrowsAsync<UnknownProjectionException>(() =>
            Rebuilder(db, new StreamEventCounts()).Rebuild("last_operations", null, CancellationToken.None));

        Assert.Equal($"No projection is named 'last_operations'. Known projections: {StreamEventCounts.ProjectionName}. (Parameter 'name')", error.Message);
    }

    private static ProjectionRebuilder Rebuilder(ProjectionDatabase db, params IProjection[] projections) => new(
        db.Store, db.Checkpoints, projections,
        Options.Create(new SubscriptionOptions { RebuildBatchSize = 100, LockRetryDelay = TimeSpan.FromMilliseconds(5) }),
        NullLogger<ProjectionRebuilder>.Instance);

    /// <summary>
    /// Records synchronously (<see cref="Progress{T}"/> posts reports and may deliver them after Rebuild returned), and
    /// under a lock: the projections of a rebuild of all report concurrently.
    /// </summary>
    private sealed class RecordedProgress : IProgress<RebuildProgress>
    {
        private readonly Lock gate = new();
        private readonly List<RebuildProgress> reports = [];

        public IReadOnlyList<RebuildProgress> Reports
        {
            get
            {
                lock (gate) return [.. reports];
            }
        }

        public void Report(RebuildProgress value)
        {
            lock (gate) reports.Add(value);
        }
    }
}
