using System.Diagnostics;
using EventSourced.Bench.Infrastructure;
using EventSourced.Bench.Reporting;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using JasperFx.Events;
using Marten;

namespace EventSourced.Bench.Scenarios;

/// <summary>
/// 4. The Marten event store in process, wired as the broker wires it (AddEventStore): 16 writers appending 1 or 10 events
/// to new streams through a Marten session (StartStream + SaveChanges), in Rich append mode (the broker's setting) and in
/// Quick mode, each in its own schema of one database; the 1-event append also through StreamStore.Handle (read the
/// stream, decide, append: the broker's path); then reading the whole log in pages of 1,000. Beside it pgbench running
/// the same rows as one INSERT statement per transaction (stream row + event rows, tables LIKE broker.mt_streams /
/// broker.mt_events INCLUDING ALL, seq_id from broker.mt_events_sequence) with 16 clients, and pgbench scanning
/// mt_events with a plain SELECT.
/// </summary>
public static class EventStoreThroughput
{
    private const int Writers = 16;
    private static readonly EventAppendMode[] Modes = [EventAppendMode.Rich, EventAppendMode.Quick];

    public static async Task<ScenarioResult> Run(BenchOptions options)
    {
        var result = new ScenarioResult("4", "Event store (Marten): appends (16 writers, Rich and Quick) and read-all vs pgbench INSERTs / plain SELECT");
        await using var database = await BenchDatabase.Create("eventstore");
        var nodes = new Dictionary<EventAppendMode, ServiceProvider>();
        try
        {
            foreach (var mode in Modes) nodes[mode] = await MartenNode.Start(database, mode, Schema(mode));
            var rich = nodes[EventAppendMode.Rich].GetRequiredService<IDocumentStore>();
            await Append(rich, 1);
            await database.Execute("CREATE TABLE limit_streams (LIKE broker.mt_streams INCLUDING ALL); " +
                                   "CREATE TABLE limit_events (LIKE broker.mt_events INCLUDING ALL)");
            var sample = await WritePath.SampleEvent(database);

            foreach (var size in new[] { 1, 10 })
            {
                var limit = await PgBench.Run(database.ConnectionString, StreamInsert(size, sample), Writers, options.Duration, options.Warmup);
                result.Details[$"pgbench_insert_{size}"] = limit;
                foreach (var mode in Modes)
                {
                    var store = nodes[mode].GetRequiredService<IDocumentStore>();
                    var appends = await Appends(size, options, () => Append(store, size));
                    result.Comparisons.Add(new($"append {size} event{(size > 1 ? "s" : "")}, 16 writers, {mode}{(mode == EventAppendMode.Rich ? " (broker's setting)" : "")}",
                        appends.EventsPerSecond, "events/s", $"pgbench stream+{size} event row insert/tx, 16 clients", limit.TransactionsPerSecond * size));
                    result.Details[$"append_{size}_{mode}"] = appends;
                }
                if (size != 1) continue;
                foreach (var mode in Modes)
                {
                    var streams = nodes[mode].GetRequiredService<StreamStore>();
                    var handled = await Appends(size, options, () => Handle(streams));
                    result.Comparisons.Add(new($"StreamStore.Handle (read, decide, append 1 event), 16 writers, {mode}", handled.EventsPerSecond, "events/s",
                        "pgbench stream+1 event row insert/tx, 16 clients", limit.TransactionsPerSecond));
                    result.Details[$"handle_1_{mode}"] = handled;
                }
            }

            var events = await database.Scalar<long>("SELECT count(*) FROM broker.mt_events");
            var read = await ReadAll(rich);
            var scan = await PgBench.Run(database.ConnectionString, "SELECT * FROM broker.mt_events;\n", 1, options.Duration, TimeSpan.Zero);
            result.Comparisons.Add(new($"read all ({events:N0} events, pages of 1,000)", read, "events/s",
                "pgbench SELECT * FROM broker.mt_events, 1 client", scan.TransactionsPerSecond * events));
            result.Details["read_all_events_per_second"] = read;
            result.Details["pgbench_scan"] = scan;
            result.Details["events_in_log"] = events;
            result.Details["bytes_per_event_row"] = await database.Scalar<double>("SELECT avg(pg_column_size(e.*))::float8 FROM broker.mt_events e");
        }
        finally
        {
            foreach (var node in nodes.Values) await node.DisposeAsync();
        }
        result.Notes.Add("Appends go to new streams (StartStream), like provisioning requests, through a lightweight Marten session " +
                         "with correlation/causation ids set, as StreamStore does. Rich (the broker's EventStore:AppendMode): Marten " +
                         "draws the sequence numbers first (a round trip), then inserts stream and event rows. Quick: one call of " +
                         "Marten's append function per stream, sequence numbers assigned by the database. The event store has no " +
                         "read models here (scenario 1 measures the broker's append with its inline projection).");
        result.Notes.Add("StreamStore.Handle is the broker's command path: FetchStreamAsync (empty), decide (accept), StartStream, commit.");
        result.Notes.Add("The pgbench limit is one statement per transaction (CTE: stream row + N event rows), no read before, " +
                         "no sequence round trip; its tables are copies of Marten's with the same indexes (no foreign key).");
        return result;
    }

    private static string Schema(EventAppendMode mode) => mode == EventAppendMode.Rich ? "broker" : "broker_quick";

    public static ServiceInstanceProvisioningRequested Event(Guid? instanceId = null) => new(
        instanceId ?? Guid.NewGuid(), Guid.CreateVersion7(), "3f6b3cf2-6f0e-4d6c-9a43-0d6a8a7a1c01", "9d1d7c6e-2b7a-4f57-8f2f-5c1d0a5e3b11",
        "org-guid", "space-guid", null, null, 1024, DateTimeOffset.UtcNow);

    public static EventMetadata Metadata() => new(Guid.CreateVersion7(), Guid.CreateVersion7(), null, null);

    private static async Task Append(IDocumentStore store, int size)
    {
        var id = Guid.NewGuid();
        await using var session = store.LightweightSession();
        session.Events.StartStream(ServiceInstance.StreamId(id), Enumerable.Range(0, size).Select(_ => (object)Event(id)).ToArray());
        Metadata().ApplyTo(session);
        await session.SaveChangesAsync();
    }

    private static async Task Handle(StreamStore streams)
    {
        var id = Guid.NewGuid();
        var e = Event(id);
        var decision = await streams.Handle(ServiceInstance.StreamId(id),
            (_, _, _) => Task.FromResult<Decision>(new Decision.Accepted(e.OperationId, [e])), Metadata());
        if (decision is not Decision.Accepted) throw new InvalidOperationException($"StreamStore.Handle answered {decision}");
    }

    private static string StreamInsert(int size, WritePath.EventSample sample) => $"""
        WITH s AS (INSERT INTO limit_streams (id, type, version, timestamp, created) VALUES ('limit-' || gen_random_uuid(), 'ServiceInstance', {size}, now(), now()) RETURNING id)
        INSERT INTO limit_events (seq_id, id, stream_id, version, data, type, timestamp, mt_dotnet_type, correlation_id, causation_id, headers) SELECT nextval('broker.mt_events_sequence'), gen_random_uuid(), s.id, g, {sample.Data}, 'ServiceInstanceProvisioningRequested', now(), {sample.DotnetType}, gen_random_uuid()::text, gen_random_uuid()::text, {sample.Headers} FROM s, generate_series(1, {size}) g;

        """.Replace("\r", "");

    public sealed record AppendResult(int EventsPerAppend, long Appends, double Seconds, double AppendsPerSecond, double EventsPerSecond, double P50Ms, double P99Ms, double MachineBusyPercent);

    private static async Task<AppendResult> Appends(int size, BenchOptions options, Func<Task> append)
    {
        await Loop(append, options.Warmup);
        var before = CpuSnapshot.Take();
        var started = Stopwatch.GetTimestamp();
        var latencies = await Loop(append, options.Duration);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var busy = CpuSnapshot.Take().Since(before).MachineBusyPercent;
        latencies.Sort();
        return new AppendResult(size, latencies.Count, seconds, latencies.Count / seconds, latencies.Count * size / seconds,
            Latencies.Percentile(latencies, 50), Latencies.Percentile(latencies, 99), busy);
    }

    private static async Task<List<double>> Loop(Func<Task> append, TimeSpan duration)
    {
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var perWriter = await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>();
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var sent = Stopwatch.GetTimestamp();
                await append();
                latencies.Add(Latencies.Milliseconds(Stopwatch.GetTimestamp() - sent));
            }
            return latencies;
        })));
        return perWriter.SelectMany(l => l).ToList();
    }

    /// <summary>Reads the whole log from the start in pages of 1,000 (by sequence, deserialized); events per second.</summary>
    public static async Task<double> ReadAll(IDocumentStore store)
    {
        var started = Stopwatch.GetTimestamp();
        await using var session = store.QuerySession();
        var after = 0L;
        long count = 0;
        while (true)
        {
            var from = after;
            var page = await session.Events.QueryAllRawEvents().Where(e => e.Sequence > from).OrderBy(e => e.Sequence).Take(1000).ToListAsync();
            if (page.Count == 0) break;
            count += page.Count;
            after = page[^1].Sequence;
        }
        return count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
