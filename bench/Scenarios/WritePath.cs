using EventSourced.TestSupport;
using EventSourced.Bench.Infrastructure;
using EventSourced.Bench.Reporting;

namespace EventSourced.Bench.Scenarios;

/// <summary>
/// 1. PUT provision (202 once the events are durably appended) at 1, 4 and 16 clients, each level beside pgbench inserting one
/// event-sized row per transaction into a copy of Marten's mt_events table with the same clients. Between levels the saga's backlog
/// is drained, so no level (and no pgbench run) competes with the previous level's provisioning.
/// </summary>
public static class WritePath
{
    public static async Task<ScenarioResult> Run(BrokerUnderTest broker, BenchOptions options)
    {
        var result = new ScenarioResult("1", "OSB write path: PUT provision vs pgbench one-row insert per transaction");
        using var load = new HttpLoad(broker.Process.BaseAddress, broker.Headers, broker.Process.Pid);
        var (status, _) = await load.Send(load.Request(HttpMethod.Put, BrokerUnderTest.ProvisionPath(Guid.NewGuid()), BrokerUnderTest.ProvisionBody));
        if (status != 202) throw new InvalidOperationException($"The first PUT answered {status}");
        await broker.Database.Execute("CREATE TABLE limit_events (LIKE broker.mt_events INCLUDING ALL)");
        var script = await OneEventInsert(broker.Database, "limit_events");
        await broker.Drain(options.DrainTimeout);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var idle = CpuSnapshot.Take(broker.Process.Pid);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var idleCores = CpuSnapshot.Take(broker.Process.Pid).Since(idle).BrokerCores;
        result.Details["idle_broker_cores"] = idleCores;
        await using var apiNode = await BrokerUnderTest.Start(new Dictionary<string, string> { ["Broker__Roles"] = "api", ["EventStore__GroupCommit"] = "true" });
        using var apiLoad = new HttpLoad(apiNode.Process.BaseAddress, apiNode.Headers, apiNode.Process.Pid);
        // The same API node without group commit (each command in a transaction of its own): the group commit's effect
        // measured in the same run, at 1 client (its latency must not get worse) and at 16.
        await using var soloNode = await BrokerUnderTest.Start(new Dictionary<string, string>
            { ["Broker__Roles"] = "api", ["EventStore__GroupCommit"] = "false" });
        using var soloLoad = new HttpLoad(soloNode.Process.BaseAddress, soloNode.Headers, soloNode.Process.Pid);

        foreach (var clients in new[] { 1, 4, 16 })
        {
            var limit = await PgBench.Run(broker.Database.ConnectionString, script, clients, options.Duration, options.Warmup);
            var requestedBefore = await broker.Requested();
            var statistics = await TableStatistics.Take(broker.Database);
            var put = await load.Run(clients, options.Warmup, options.Duration,
                _ => load.Request(HttpMethod.Put, BrokerUnderTest.ProvisionPath(Guid.NewGuid()), BrokerUnderTest.ProvisionBody), 202);
            var drained = await broker.Drain(options.DrainTimeout);
            result.Comparisons.Add(new($"PUT provision, {clients} clients", put.RequestsPerSecond, "req/s",
                $"pgbench 1-row insert/tx, {clients} clients", limit.TransactionsPerSecond, Goal: "≥ 100% of limit",
                GoalMet: put.RequestsPerSecond >= limit.TransactionsPerSecond));
            result.Comparisons.Add(new($"PUT provision p99, {clients} clients", put.P99Ms, "ms",
                $"pgbench p99, {clients} clients", limit.P99Ms, HigherIsBetter: false, Goal: "p99 < 20 ms", GoalMet: put.P99Ms < 20));
            // Without group commit first: both API nodes started together, and the first one measured at 1 client is the
            // one measured closest to its start (run 2026-12-02 measured the node with group commit first).
            LoadResult? soloPut = clients is 1 or 16
                ? await soloLoad.Run(clients, options.Warmup, options.Duration,
                    _ => soloLoad.Request(HttpMethod.Put, BrokerUnderTest.ProvisionPath(Guid.NewGuid()), BrokerUnderTest.ProvisionBody), 202)
                : null;
            var apiPut = await apiLoad.Run(clients, options.Warmup, options.Duration,
                _ => apiLoad.Request(HttpMethod.Put, BrokerUnderTest.ProvisionPath(Guid.NewGuid()), BrokerUnderTest.ProvisionBody), 202);
            result.Comparisons.Add(new($"PUT provision on an API node, {clients} clients", apiPut.RequestsPerSecond, "req/s",
                $"pgbench 1-row insert/tx, {clients} clients", limit.TransactionsPerSecond, Goal: "≥ 100% of limit",
                GoalMet: apiPut.RequestsPerSecond >= limit.TransactionsPerSecond));
            result.Comparisons.Add(new($"PUT provision p99 on an API node, {clients} clients", apiPut.P99Ms, "ms",
                $"pgbench p99, {clients} clients", limit.P99Ms, HigherIsBetter: false, Goal: "p99 < 20 ms", GoalMet: apiPut.P99Ms < 20));
            if (soloPut is not null)
            {
                result.Comparisons.Add(new($"PUT provision on an API node with group commit, {clients} clients", apiPut.RequestsPerSecond, "req/s",
                    $"the same API node without group commit (EventStore:GroupCommit=false), {clients} clients", soloPut.RequestsPerSecond));
                result.Comparisons.Add(new($"PUT provision p99 on an API node with group commit, {clients} clients", apiPut.P99Ms, "ms",
                    $"p99 without group commit, {clients} clients", soloPut.P99Ms, HigherIsBetter: false));
                result.Details[$"api_node_without_group_commit_put_{clients}"] = soloPut;
            }
            // Taken after the drain and the API node's pass (its own database): the broker's backends have flushed their counters.
            var provisionings = await broker.Requested() - requestedBefore;
            result.Details[$"database_per_provisioning_{clients}"] = (await TableStatistics.Take(broker.Database)).PerUnit(statistics, provisionings);
            result.Details[$"put_{clients}"] = put;
            result.Details[$"api_node_put_{clients}"] = apiPut;
            result.Details[$"pgbench_{clients}"] = limit;
            result.Details[$"drain_seconds_after_{clients}"] = drained;
        }
        if (options.Profile)
        {
            var file = Path.Combine(options.ResultsDirectory, $"{DateTime.Now:yyyy-MM-dd}-profile-put16");
            await Profiler.Profile(broker.Process.Pid, options.Duration, () => load.Run(16, TimeSpan.Zero, options.Duration - TimeSpan.FromSeconds(1),
                _ => load.Request(HttpMethod.Put, BrokerUnderTest.ProvisionPath(Guid.NewGuid()), BrokerUnderTest.ProvisionBody), 202), file);
            await broker.Drain(options.DrainTimeout);
            result.Notes.Add($"Profile of an extra, unmeasured 16-client pass: {Path.GetFileName(file)}.txt");
        }
        result.Notes.Add($"Broker CPU while idle (3 s after the first PUT's flow finished): {idleCores:N2} cores. database_per_provisioning_N " +
                         "(raw figures): PostgreSQL's counters over level N (warm-up included) until its flow drained, per provisioning.");
        result.Notes.Add("Each PUT appends ServiceInstanceProvisioningRequested to a new Marten stream (Rich mode: sequence round trip, then stream row + event row + inline " +
                         "last_operations row in one transaction, after reading the stream). The saga then runs on the simulated " +
                         "backend in the same broker process while the level runs: that work shares the 2 cores. " +
                         "The API node is a second broker with Broker__Roles=api on its own database: it records the " +
                         "requests and answers from the read models, as a front node whose flow runs on other nodes would.");
        return result;
    }

    /// <summary>A pgbench script inserting one row shaped like a real provisioning event (same JSON, same indexes, seq_id from Marten's sequence).</summary>
    public static async Task<string> OneEventInsert(PostgresDatabase database, string table)
    {
        var sample = await SampleEvent(database);
        return $"INSERT INTO {table} (seq_id, id, stream_id, version, data, type, timestamp, mt_dotnet_type, correlation_id, causation_id, headers) VALUES " +
               $"(nextval('broker.mt_events_sequence'), gen_random_uuid(), 'limit-' || gen_random_uuid(), 1, {sample.Data}, 'ServiceInstanceProvisioningRequested', " +
               $"now(), {sample.DotnetType}, gen_random_uuid()::text, gen_random_uuid()::text, {sample.Headers});\n";
    }

    /// <summary>SQL literals of a stored ServiceInstanceProvisioningRequested event's data, headers and .NET type columns.</summary>
    public sealed record EventSample(string Data, string Headers, string DotnetType);

    public static async Task<EventSample> SampleEvent(PostgresDatabase database)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT quote_literal(data::text) || '::jsonb', coalesce(quote_literal(headers::text) || '::jsonb', 'NULL'), quote_nullable(mt_dotnet_type)
            FROM broker.mt_events WHERE type = 'ServiceInstanceProvisioningRequested' LIMIT 1
            """);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) throw new InvalidOperationException("No provisioning event to copy the shape of.");
        return new EventSample(reader.GetString(0), reader.GetString(1), reader.GetString(2));
    }
}
