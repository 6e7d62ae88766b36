using System.Diagnostics;
using EventSourced.Bench.Infrastructure;
using EventSourced.Bench.Reporting;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Bench.Scenarios;

/// <summary>
/// 4. The event store in process: 16 writers appending 1 or 10 events to new streams, then reading the whole log through
/// ReadAll; beside pgbench running the same two INSERTs (stream row + event rows, one statement per transaction, no
/// notification) with 16 clients, and pgbench scanning the table with a plain SELECT.
/// </summary>
public static class EventStoreThroughput
{
    private const int Writers = 16;

    public static async Task<ScenarioResult> Run(BenchOptions options)
    {
        var result = new ScenarioResult("4", "Event store: appends (16 writers) and read-all vs pgbench INSERTs / plain SELECT");
        await using var database = await BenchDatabase.Create("eventstore");
        var store = CreateStore(database);
        await store.EnsureSchema();
        await store.Append(ServiceInstance.StreamId(Guid.NewGuid()), StreamVersion.NoStream, [Event()], Metadata());
        await database.Execute("CREATE TABLE limit_streams (LIKE streams INCLUDING ALL); CREATE TABLE limit_events (LIKE events INCLUDING ALL)");
        var (data, metadata) = await WritePath.SampleEvent(database);

        foreach (var size in new[] { 1, 10 })
        {
            var limit = await PgBench.Run(database.ConnectionString, StreamInsert(size, data, metadata), Writers, options.Duration, options.Warmup);
            var appends = await Appends(store, size, options);
            result.Comparisons.Add(new($"append {size} event{(size > 1 ? "s" : "")}, 16 writers", appends.EventsPerSecond, "events/s",
                $"pgbench stream+{size} event row insert/tx, 16 clients", limit.TransactionsPerSecond * size));
            result.Details[$"append_{size}"] = appends;
            result.Details[$"pgbench_insert_{size}"] = limit;
        }

        var events = await database.Scalar<long>("SELECT count(*) FROM events");
        var read = await ReadAll(store);
        var scan = await PgBench.Run(database.ConnectionString, "SELECT * FROM events;\n", 1, options.Duration, TimeSpan.Zero);
        result.Comparisons.Add(new($"read all ({events:N0} events, batches of 1,000)", read, "events/s",
            "pgbench SELECT * FROM events, 1 client", scan.TransactionsPerSecond * events));
        result.Details["read_all_events_per_second"] = read;
        result.Details["pgbench_scan"] = scan;
        result.Details["events_in_log"] = events;
        result.Notes.Add("Appends go to new streams (expected version: no stream), like provisioning requests; each append is the " +
                         "store's single CTE statement plus its pg_notify in one transaction.");
        return result;
    }

    public static EventStore CreateStore(BenchDatabase database) =>
        new(database.DataSource, EventTypeRegistry.FromAssemblies(typeof(ServiceInstance).Assembly));

    public static ServiceInstanceProvisioningRequested Event(Guid? instanceId = null) => new(
        instanceId ?? Guid.NewGuid(), Guid.CreateVersion7(), "3f6b3cf2-6f0e-4d6c-9a43-0d6a8a7a1c01", "9d1d7c6e-2b7a-4f57-8f2f-5c1d0a5e3b11",
        "org-guid", "space-guid", null, null, 1024, DateTimeOffset.UtcNow);

    public static EventMetadata Metadata() => new(Guid.CreateVersion7(), null, null, null);

    private static string StreamInsert(int size, string data, string metadata) => $"""
        WITH s AS (INSERT INTO limit_streams (stream_id, version) VALUES ('limit-' || gen_random_uuid(), {size}) RETURNING stream_id)
        INSERT INTO limit_events (event_id, stream_id, version, event_type, data, metadata) SELECT gen_random_uuid(), s.stream_id, g, 'ServiceInstanceProvisioningRequested', '{data}'::jsonb, '{metadata}'::jsonb FROM s, generate_series(1, {size}) g;

        """.Replace("\r", "");

    public sealed record AppendResult(int EventsPerAppend, long Appends, double Seconds, double AppendsPerSecond, double EventsPerSecond, double P50Ms, double P99Ms, double MachineBusyPercent);

    private static async Task<AppendResult> Appends(EventStore store, int size, BenchOptions options)
    {
        await Loop(store, size, options.Warmup);
        var before = CpuSnapshot.Take();
        var started = Stopwatch.GetTimestamp();
        var latencies = await Loop(store, size, options.Duration);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var busy = CpuSnapshot.Take().Since(before).MachineBusyPercent;
        latencies.Sort();
        return new AppendResult(size, latencies.Count, seconds, latencies.Count / seconds, latencies.Count * size / seconds,
            Latencies.Percentile(latencies, 50), Latencies.Percentile(latencies, 99), busy);
    }

    private static async Task<List<double>> Loop(EventStore store, int size, TimeSpan duration)
    {
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var perWriter = await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>();
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var id = Guid.NewGuid();
                var events = Enumerable.Range(0, size).Select(_ => (IDomainEvent)Event(id)).ToList();
                var sent = Stopwatch.GetTimestamp();
                await store.Append(ServiceInstance.StreamId(id), StreamVersion.NoStream, events, Metadata());
                latencies.Add(Latencies.Milliseconds(Stopwatch.GetTimestamp() - sent));
            }
            return latencies;
        })));
        return perWriter.SelectMany(l => l).ToList();
    }

    /// <summary>Reads the whole log from the start in batches of 1,000; events per second.</summary>
    public static async Task<double> ReadAll(EventStore store)
    {
        var started = Stopwatch.GetTimestamp();
        var cursor = GlobalCursor.Start;
        long count = 0;
        while (true)
        {
            var batch = await store.ReadAll(cursor, 1000);
            if (batch.Count == 0) break;
            count += batch.Count;
            cursor = batch[^1].Cursor;
        }
        return count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
