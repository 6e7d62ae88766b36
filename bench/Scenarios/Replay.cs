using System.Diagnostics;
using EventSourced.Bench.Infrastructure;
using EventSourced.Bench.Reporting;
using EventSourced.Commands;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections;
using EventSourced.Projections.Daemon;
using EventSourced.Projections.Rebuild;
using Npgsql;

namespace EventSourced.Bench.Scenarios;

/// <summary>
/// 5. Rebuild every projection from N events (N/5 instances, each with the five events of a successful provisioning),
/// through the product's ProjectionRebuilder: each projection on its own, then all of them in one pass. Beside it: reading
/// the same rows with a plain SELECT through Npgsql, the least a replay has to do.
/// </summary>
public static class Replay
{
    private const int ChunkInstances = 20_000;

    public static async Task<ScenarioResult> Run(BenchOptions options)
    {
        var total = options.ReplayEvents;
        var result = new ScenarioResult("5", $"Projection replay: rebuild every projection from {total:N0} events");
        await using var database = await BenchDatabase.Create("replay");
        var store = EventStoreThroughput.CreateStore(database);
        await store.EnsureSchema();

        var generation = Stopwatch.StartNew();
        var template = Guid.NewGuid();
        await store.Append(ServiceInstance.StreamId(template), StreamVersion.NoStream, Provisioning(template), EventStoreThroughput.Metadata());
        for (var made = 1; made < total / 5; made += ChunkInstances)
            await database.Execute(Replicate(template, Math.Min(ChunkInstances, total / 5 - made)));
        await database.Execute("VACUUM ANALYZE events");
        generation.Stop();
        var events = await database.Scalar<long>("SELECT count(*) FROM events");

        var scan = await PlainScan(database);
        using var services = Services(database);
        var rebuilder = services.GetRequiredService<ProjectionRebuilder>();
        var separately = TimeSpan.Zero;
        foreach (var name in rebuilder.Names.Order(StringComparer.Ordinal))
        {
            var one = Stopwatch.StartNew();
            await rebuilder.Rebuild(name, null, CancellationToken.None);
            separately += one.Elapsed;
            result.Comparisons.Add(new($"rebuild {name}", events / one.Elapsed.TotalSeconds, "events/s",
                "plain SELECT of every event (Npgsql, no deserialization)", scan, Goal: "≥ 50,000 events/s",
                GoalMet: events / one.Elapsed.TotalSeconds >= 50_000));
            result.Details[$"rebuild_{name}_seconds"] = one.Elapsed.TotalSeconds;
        }
        var all = Stopwatch.StartNew();
        await rebuilder.Rebuild(ProjectionRebuilder.All, null, CancellationToken.None);
        var overall = events / all.Elapsed.TotalSeconds;
        result.Comparisons.Add(new($"rebuild every projection (rebuild {ProjectionRebuilder.All}: one pass over the log)", overall, "events/s",
            "plain SELECT of every event (Npgsql, no deserialization)", scan, Goal: "≥ 50,000 events/s", GoalMet: overall >= 50_000));
        result.Details["events"] = events;
        result.Details["rebuild_all_seconds"] = all.Elapsed.TotalSeconds;
        result.Details["rebuild_one_after_the_other_seconds"] = separately.TotalSeconds;
        result.Details["generation_seconds"] = generation.Elapsed.TotalSeconds;
        result.Details["plain_scan_events_per_second"] = scan;
        result.Notes.Add($"{events:N0} events generated in {generation.Elapsed.TotalSeconds:N0} s: one instance's five events appended " +
                         "through the event store, then copied per instance id in SQL (INSERT … SELECT, 100,000 events per transaction), VACUUM ANALYZE.");
        return result;
    }

    private static IReadOnlyList<IDomainEvent> Provisioning(Guid id)
    {
        var op = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        return
        [
            EventStoreThroughput.Event(id) with { OperationId = op },
            new StorageProvisioned(id, op, $"/simulated/{id}", 1024, now),
            new ServerProvisioned(id, op, "127.0.0.1", 20001, now),
            new DatabaseProvisioned(id, op, "db", "admin", "encrypted-password-placeholder-of-a-realistic-length-0123456789", now),
            new ServiceInstanceProvisioned(id, op, now),
        ];
    }

    private static string Replicate(Guid template, int instances) => $"""
        WITH ids AS (SELECT gen_random_uuid() AS id FROM generate_series(1, {instances})),
        s AS (INSERT INTO streams (stream_id, version) SELECT 'service-instance-' || id, 5 FROM ids)
        INSERT INTO events (event_id, stream_id, version, event_type, data, metadata)
        SELECT gen_random_uuid(), 'service-instance-' || i.id, e.version, e.event_type,
               replace(e.data::text, '{template}', i.id::text)::jsonb, e.metadata
        FROM ids i CROSS JOIN (SELECT version, event_type, data, metadata FROM events WHERE stream_id = 'service-instance-{template}') e
        ORDER BY i.id, e.version
        """;

    private static async Task<double> PlainScan(BenchDatabase database)
    {
        var started = Stopwatch.GetTimestamp();
        await using var command = database.DataSource.CreateCommand(
            "SELECT event_id, position, transaction_id::text, stream_id, version, event_type, data::text, metadata::text, created_at FROM events");
        command.CommandTimeout = 600;
        await using var reader = await command.ExecuteReaderAsync();
        long rows = 0;
        while (await reader.ReadAsync())
        {
            for (var i = 0; i < reader.FieldCount; i++) _ = reader.GetValue(i);
            rows++;
        }
        return rows / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static ServiceProvider Services(BenchDatabase database)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Secrets:Key"] = Convert.ToBase64String(new byte[32]),
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        services.AddCommands(configuration).AddReadModels().AddProjectionDaemon(configuration);
        return services.BuildServiceProvider();
    }
}
