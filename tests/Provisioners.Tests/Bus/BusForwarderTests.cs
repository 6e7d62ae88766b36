using EventSourced.Commands.EventStore;
using EventSourced.Projections.Checkpoints;
using EventSourced.Projections.Subscriptions;
using EventSourced.Provisioners.Bus;
using EventSourced.Provisioners.Tests.Sagas;
using EventSourced.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventSourced.Provisioners.Tests.Bus;

/// <summary>The event log is the outbox: the real forwarder on a real runner, RabbitMQ and an inbox-deduplicating consumer.</summary>
public sealed class BusForwarderTests : IAsyncLifetime
{
    private const int Streams = 10;
    private const int EventsPerStream = 20;
    private const int BatchSize = 50;

    private PostgresDatabase _database = null!;
    private RabbitMqVirtualHost _virtualHost = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.Create();
        _virtualHost = await RabbitMqVirtualHost.Create();
    }

    public async Task DisposeAsync()
    {
        await _virtualHost.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Forward_CrashedBetweenPublishAndCheckpoint_RepublishesAndEveryEventIsAppliedExactlyOnce()
    {
        var store = new EventStore(_database.DataSource, EventTypeRegistry.FromAssemblies(typeof(ParcelScanned).Assembly));
        var checkpoints = new CheckpointStore(_database.DataSource);
        await store.EnsureSchema();
        await checkpoints.EnsureSchema();
        await Execute(ParcelScanApplier.Schema);
        await using var host = await ApplierHost.Start(_database, _virtualHost);
        var events = await AppendScans(store);

        var forwarder = new CrashBeforeCheckpoint(new BusForwarder(host.Bus), 1, 3);
        var options = new SubscriptionOptions
        {
            BatchSize = BatchSize, PollInterval = TimeSpan.FromMilliseconds(50), InitialBackoff = TimeSpan.FromMilliseconds(50),
        };
        var runner = new SubscriptionRunner(store, checkpoints, forwarder, options, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = runner.Run(stop.Token);

        await Eventually.Until(() => checkpoints.Load(forwarder.Name), cursor => cursor == events[^1].Cursor,
            "the forwarder's checkpoint to reach the head of the log", seconds: 30);
        await stop.CancelAsync();
        await running;
        await Eventually.Until(() => Task.FromResult(host.Deliveries.Total), delivered => delivered >= forwarder.Published,
            $"every one of the {forwarder.Published} published messages to be delivered");

        Assert.Equal(2, forwarder.Crashes);
        Assert.Equal(events.Count + 2 * BatchSize, forwarder.Published);
        Assert.True(host.Deliveries.Redelivered >= 2 * BatchSize,
            $"the crashed batches' messages reach the consumer twice ({host.Deliveries.Redelivered} messages seen more than once)");
        Assert.Equal(events.Count, await Scalar("SELECT count(*) FROM applied_scans"));
        Assert.Equal(events.Count, await Scalar("SELECT count(DISTINCT event_id) FROM applied_scans"));
        Assert.Equal(events.Select(e => e.EventId).Order(), (await AppliedEventIds()).Order());
    }

    /// <summary>Appends the scans and waits until all are visible, so the runner reads the same batches on every run.</summary>
    private static async Task<IReadOnlyList<RecordedEvent>> AppendScans(EventStore store)
    {
        for (var stream = 0; stream < Streams; stream++)
        {
            var streamId = $"parcel-{Guid.NewGuid():N}";
            for (var version = 0; version < EventsPerStream; version += 5)
            {
                var scans = Enumerable.Range(version + 1, 5).Select(sequence => (IDomainEvent)new ParcelScanned(streamId, sequence, DateTimeOffset.UnixEpoch)).ToList();
                await store.Append(streamId, version, scans, new EventMetadata(Guid.NewGuid()));
            }
        }
        const int total = Streams * EventsPerStream;
        await Eventually.Until(() => store.CountVisible(GlobalCursor.Start), visible => visible == total, $"{total} events to be visible in the log");
        return await store.ReadAll(GlobalCursor.Start, int.MaxValue);
    }

    private async Task<List<Guid>> AppliedEventIds()
    {
        await using var command = _database.DataSource.CreateCommand("SELECT event_id FROM applied_scans");
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
        return ids;
    }

    private async Task<long> Scalar(string sql)
    {
        await using var command = _database.DataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task Execute(string sql)
    {
        await using var command = _database.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
