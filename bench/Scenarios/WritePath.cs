using EventSourced.Bench.Infrastructure;
using EventSourced.Bench.Reporting;

namespace EventSourced.Bench.Scenarios;

/// <summary>
/// 1. PUT provision (202 once the events are durably appended) at 1, 4 and 16 clients, each level beside pgbench inserting one
/// event-sized row per transaction into a copy of the events table with the same clients. Between levels the saga's backlog
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
        await broker.Database.Execute("CREATE TABLE limit_events (LIKE events INCLUDING ALL)");
        var script = await OneEventInsert(broker.Database, "limit_events");
        await broker.Drain(options.DrainTimeout);
        await using var apiNode = await BrokerUnderTest.Start(new Dictionary<string, string> { ["Provisioners__Enabled"] = "false" });
        using var apiLoad = new HttpLoad(apiNode.Process.BaseAddress, apiNode.Headers, apiNode.Process.Pid);

        foreach (var clients in new[] { 1, 4, 16 })
        {
            var limit = await PgBench.Run(broker.Database.ConnectionString, script, clients, options.Duration, options.Warmup);
            var put = await load.Run(clients, options.Warmup, options.Duration,
                _ => load.Request(HttpMethod.Put, BrokerUnderTest.ProvisionPath(Guid.NewGuid()), BrokerUnderTest.ProvisionBody), 202);
            var drained = await broker.Drain(options.DrainTimeout);
            result.Comparisons.Add(new($"PUT provision, {clients} clients", put.RequestsPerSecond, "req/s",
                $"pgbench 1-row insert/tx, {clients} clients", limit.TransactionsPerSecond, Goal: "≥ 100% of limit",
                GoalMet: put.RequestsPerSecond >= limit.TransactionsPerSecond));
            result.Comparisons.Add(new($"PUT provision p99, {clients} clients", put.P99Ms, "ms",
                $"pgbench p99, {clients} clients", limit.P99Ms, HigherIsBetter: false, Goal: "p99 < 20 ms", GoalMet: put.P99Ms < 20));
            var apiPut = await apiLoad.Run(clients, options.Warmup, options.Duration,
                _ => apiLoad.Request(HttpMethod.Put, BrokerUnderTest.ProvisionPath(Guid.NewGuid()), BrokerUnderTest.ProvisionBody), 202);
            result.Comparisons.Add(new($"PUT provision on an API node, {clients} clients", apiPut.RequestsPerSecond, "req/s",
                $"pgbench 1-row insert/tx, {clients} clients", limit.TransactionsPerSecond, Goal: "≥ 100% of limit",
                GoalMet: apiPut.RequestsPerSecond >= limit.TransactionsPerSecond));
            result.Comparisons.Add(new($"PUT provision p99 on an API node, {clients} clients", apiPut.P99Ms, "ms",
                $"pgbench p99, {clients} clients", limit.P99Ms, HigherIsBetter: false, Goal: "p99 < 20 ms", GoalMet: apiPut.P99Ms < 20));
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
        result.Notes.Add("Each PUT appends ServiceInstanceProvisioningRequested to a new stream (stream row + event row + inline " +
                         "last_operations row in one transaction, after reading the stream). The saga then runs on the simulated " +
                         "backend in the same broker process while the level runs: that work shares the 2 cores. " +
                         "The API node is a second broker with Provisioners__Enabled=false on its own database: it records the " +
                         "requests and answers from the read models, as a front node whose flow runs on other nodes would.");
        return result;
    }

    /// <summary>A pgbench script inserting one row shaped like a real provisioning event (same JSON, same indexes).</summary>
    public static async Task<string> OneEventInsert(BenchDatabase database, string table)
    {
        var (data, metadata) = await SampleEvent(database);
        return $"INSERT INTO {table} (event_id, stream_id, version, event_type, data, metadata) VALUES " +
               $"(gen_random_uuid(), 'limit-' || gen_random_uuid(), 1, 'ServiceInstanceProvisioningRequested', '{data}'::jsonb, '{metadata}'::jsonb);\n";
    }

    public static async Task<(string Data, string Metadata)> SampleEvent(BenchDatabase database)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT data::text, metadata::text FROM events WHERE event_type = 'ServiceInstanceProvisioningRequested' LIMIT 1");
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) throw new InvalidOperationException("No provisioning event to copy the shape of.");
        return (reader.GetString(0).Replace("'", "''"), reader.GetString(1).Replace("'", "''"));
    }
}
