using EventSourced.Commands.EventStore;
using EventSourced.Projections.Checkpoints;
using EventSourced.Projections.Subscriptions;
using EventSourced.Projections.Tests.TestEvents;
using EventSourced.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace EventSourced.Projections.Tests;

/// <summary>A fresh database with the event store and checkpoint schemas, plus the probes the tests assert with.</summary>
public sealed class ProjectionDatabase : IAsyncDisposable
{
    public static readonly EventTypeRegistry Types = EventTypeRegistry.FromAssemblies(typeof(CounterIncremented).Assembly);

    private readonly PostgresDatabase database;

    private ProjectionDatabase(PostgresDatabase database)
    {
        this.database = database;
        Store = new EventStore(database.DataSource, Types);
        Checkpoints = new CheckpointStore(database.DataSource);
    }

    public EventStore Store { get; }
    public CheckpointStore Checkpoints { get; }
    public NpgsqlDataSource DataSource => database.DataSource;

    public static async Task<ProjectionDatabase> Create(params IProjection[] projections)
    {
        var db = new ProjectionDatabase(await PostgresDatabase.Create());
        await db.Store.EnsureSchema();
        await db.Checkpoints.EnsureSchema();
        foreach (var projection in projections) await ProjectionSchema.Create(db.DataSource, projection, CancellationToken.None);
        return db;
    }

    public SubscriptionRunner Runner(IEventSubscription subscription, SubscriptionOptions? options = null) =>
        new(Store, Checkpoints, subscription, options ?? new SubscriptionOptions { BatchSize = 100 }, NullLogger.Instance);

    /// <summary>Appends <paramref name="perStream"/> events to each of <paramref name="streams"/> new streams, <paramref name="perAppend"/> per append.</summary>
    public async Task<IReadOnlyList<string>> AppendMany(int streams, int perStream, int perAppend, int writers = 1)
    {
        var streamIds = Enumerable.Range(0, streams).Select(_ => $"counter-{Guid.NewGuid():N}").ToList();
        await Parallel.ForEachAsync(streamIds, new ParallelOptions { MaxDegreeOfParallelism = writers }, async (streamId, ct) =>
        {
            for (var version = 0; version < perStream; version += perAppend)
            {
                var events = Enumerable.Range(version + 1, Math.Min(perAppend, perStream - version))
                    .Select(sequence => (IDomainEvent)new CounterIncremented(streamId, sequence, DateTimeOffset.UnixEpoch))
                    .ToList();
                await Store.Append(streamId, version, events, new EventMetadata(Guid.NewGuid()), ct);
            }
        });
        return streamIds;
    }

    /// <summary>
    /// The log's horizon is cluster-wide: a transaction still open in another test's database holds back what ReadAll
    /// shows here. Tests that catch up once and then assert wait for their events to be visible first.
    /// </summary>
    public Task UntilVisible(long events) =>
        Eventually.True(async () => await Store.CountVisible(GlobalCursor.Start) >= events, $"{events} events are visible in the log");

    public async Task<IReadOnlyList<RecordedEvent>> AllEvents() => await Store.ReadAll(GlobalCursor.Start, int.MaxValue);

    public async Task<long> ProjectedEvents(string suffix = "") => await Scalar<long>($"SELECT count(*) FROM projected_events{suffix}");

    /// <summary>
    /// Events applied, distinct events applied, and whether every stream's count equals its version, in the read model
    /// of the <see cref="StreamEventCounts"/> with that suffix.
    /// </summary>
    public async Task<(long Applied, long Distinct, bool CountsMatchVersions)> ReadModel(string suffix = "") => (
        await ProjectedEvents(suffix),
        await Scalar<long>($"SELECT count(DISTINCT event_id) FROM projected_events{suffix}"),
        await Scalar<bool>($"""
            SELECT NOT EXISTS (
                SELECT FROM streams s FULL JOIN stream_event_counts{suffix} c USING (stream_id)
                WHERE s.version IS DISTINCT FROM c.events)
            """));

    public async Task<T> Scalar<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task Execute(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public ValueTask DisposeAsync() => database.DisposeAsync();
}
