using EventSourced.Commands.EventStore;
using EventSourced.Provisioners.Bus;
using EventSourced.TestSupport;
using JasperFx.Events;
using Marten;
using Xunit.Abstractions;

namespace EventSourced.Provisioners.Tests.Bus;

/// <summary>
/// The event log is the outbox: the real forwarder as a Marten subscription under Marten's async daemon, RabbitMQ and an
/// inbox-deduplicating consumer.
/// </summary>
public sealed class BusForwarderTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Streams = 10;
    private const int EventsPerStream = 20;
    private const int BatchSize = ParcelLog.BatchSize;
    private static readonly string Shard = $"{BusForwarder.SubscriptionName}:All";

    private PostgresDatabase _database = null!;
    private RabbitMqVirtualHost _virtualHost = null!;
    private DocumentStore _store = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.Create();
        _virtualHost = await RabbitMqVirtualHost.Create();
        _store = DocumentStore.For(options => ParcelLog.Configure(options, _database));
        // The schema once, before any of the test's processes opens its own store on it.
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        _store.Dispose();
        await _virtualHost.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Forward_KilledBetweenPublishAndProgress_RepublishesAndEveryEventIsAppliedExactlyOnce()
    {
        await using var applier = await ApplierHost.Start(_database, _virtualHost);
        var events = await AppendScans();

        // Process 1 publishes page 1 and records its progress, publishes page 2 and dies before its progress.
        var crashing = new CrashBeforeProgress(new BusForwarder(() => applier.Bus), crashingCall: 2, BatchSize);
        await using var first = await ForwarderHost.Start(_database, crashing);
        var crashedPage = await crashing.Crashed.WaitAsync(TimeSpan.FromSeconds(30));
        // Left running, Marten would pause the subscription and, at its next health check (about 5 s on), restart it
        // from the recorded progress, running the crashed page again; the process dies first.
        await first.Stop();
        var progressAtDeath = await Progress();
        output.WriteLine($"crashed page: {crashedPage}; progress recorded by process 1: {progressAtDeath}");
        output.WriteLine($"calls after the crash: {crashing.CallsAfterCrash.Count}");
        foreach (var call in crashing.CallsAfterCrash) output.WriteLine("  " + call);
        output.WriteLine("process 1 log (warnings and errors):");
        foreach (var line in first.Log.Lines) output.WriteLine("  " + line);

        Assert.Equal(BatchSize, crashedPage.Events.Count);
        Assert.Equal(crashedPage.SequenceFloor, progressAtDeath);

        // Process 2: the plain forwarder under the same name picks up from the recorded progress.
        await using (var second = await ForwarderHost.Start(_database, new BusForwarder(() => applier.Bus), o => o.Options.BatchSize = BatchSize))
        {
            await Eventually.Until(Progress, progress => progress == events[^1].Sequence,
                "the forwarder's progress to reach the head of the log", seconds: 30);
            foreach (var line in second.Log.Lines) output.WriteLine("process 2: " + line);
        }

        var published = crashing.Published + (events.Count - progressAtDeath);
        await Eventually.Until(() => Task.FromResult(applier.Deliveries.Total), delivered => delivered >= published,
            $"every one of the {published} published messages to be delivered");

        Assert.True(applier.Deliveries.Redelivered >= BatchSize,
            $"the crashed page's messages reach the consumer twice ({applier.Deliveries.Redelivered} messages seen more than once)");
        var applied = await AppliedScans();
        Assert.Equal(events.Count, applied.Count);
        Assert.Equal(events.Count, applied.Select(a => a.EventId).Distinct().Count());
        Assert.Equal(events.Select(e => e.Id).Order(), applied.Select(a => a.EventId).Order());
    }

    /// <summary>Appends the scans before any forwarder runs, so the daemon reads the same pages on every run.</summary>
    private async Task<IReadOnlyList<IEvent>> AppendScans()
    {
        for (var stream = 0; stream < Streams; stream++)
        {
            var streamId = $"parcel-{Guid.NewGuid():N}";
            for (var version = 0; version < EventsPerStream; version += 5)
            {
                await using var session = _store.LightweightSession();
                new EventMetadata(Guid.NewGuid()).ApplyTo(session);
                var scans = Enumerable.Range(version + 1, 5).Select(sequence => (object)new ParcelScanned(streamId, sequence, DateTimeOffset.UnixEpoch));
                session.Events.Append(streamId, version + 5, scans.ToArray());
                await session.SaveChangesAsync();
            }
        }
        await using var query = _store.QuerySession();
        var events = await query.Events.QueryAllRawEvents().OrderBy(e => e.Sequence).ToListAsync();
        Assert.Equal(Streams * EventsPerStream, events.Count);
        return events;
    }

    private async Task<long> Progress()
    {
        var shards = await _store.Advanced.AllProjectionProgress();
        return shards.SingleOrDefault(s => s.ShardName == Shard)?.Sequence ?? 0;
    }

    private async Task<IReadOnlyList<AppliedScan>> AppliedScans()
    {
        await using var query = _store.QuerySession();
        return await query.Query<AppliedScan>().ToListAsync();
    }
}
