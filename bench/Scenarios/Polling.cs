using EventSourced.TestSupport;
using System.Text;
using EventSourced.Bench.Infrastructure;
using EventSourced.Bench.Reporting;

namespace EventSourced.Bench.Scenarios;

/// <summary>2. GET last_operation on existing instances, 16 clients, beside bare Kestrel answering a constant JSON of the same size.</summary>
public static class Polling
{
    private const int Clients = 16;

    public static async Task<ScenarioResult> Run(BrokerUnderTest broker, BenchOptions options)
    {
        var result = new ScenarioResult("2", "last_operation polling vs bare Kestrel constant JSON (16 clients)");
        using var load = new HttpLoad(broker.Process.BaseAddress, broker.Headers, broker.Process.Pid);
        if (await broker.Requested() == 0)
        {
            // Run alone (--only 2): the instances to poll are provisioned here first, and their flows drained.
            await Parallel.ForEachAsync(Enumerable.Range(0, 1000), new ParallelOptions { MaxDegreeOfParallelism = Clients }, async (_, _) =>
                await load.Send(load.Request(HttpMethod.Put, BrokerUnderTest.ProvisionPath(Guid.NewGuid()), BrokerUnderTest.ProvisionBody)));
            await broker.Drain(options.DrainTimeout);
            result.Notes.Add("Run alone: 1,000 instances provisioned (and their flows drained) before polling.");
        }
        var ids = await InstanceIds(broker.Database, 1000);
        var (status, body) = await load.Send(load.Request(HttpMethod.Get, BrokerUnderTest.LastOperationPath(ids[0])));
        if (status != 200) throw new InvalidOperationException($"last_operation answered {status}");

        var polling = await load.Run(Clients, options.Warmup, options.Duration,
            i => load.Request(HttpMethod.Get, BrokerUnderTest.LastOperationPath(ids[(int)(i % ids.Length)])), 200);

        if (options.Profile)
        {
            var file = Path.Combine(options.ResultsDirectory, $"{DateTime.Now:yyyy-MM-dd}-profile-last-operation");
            await Profiler.Profile(broker.Process.Pid, options.Duration, () => load.Run(Clients, TimeSpan.Zero, options.Duration - TimeSpan.FromSeconds(1),
                i => load.Request(HttpMethod.Get, BrokerUnderTest.LastOperationPath(ids[(int)(i % ids.Length)])), 200), file);
            result.Notes.Add($"Profile of an extra, unmeasured pass: {Path.GetFileName(file)}.txt");
        }

        await using var bare = await ConstantJsonServer.Start(Encoding.UTF8.GetString(body));
        using var bareLoad = new HttpLoad(bare.BaseAddress, broker.Headers, bare.Pid);
        var limit = await bareLoad.Run(Clients, options.Warmup, options.Duration,
            i => bareLoad.Request(HttpMethod.Get, BrokerUnderTest.LastOperationPath(ids[(int)(i % ids.Length)])), 200);

        result.Comparisons.Add(new("GET last_operation, 16 clients", polling.RequestsPerSecond, "req/s",
            "bare Kestrel constant JSON, 16 clients", limit.RequestsPerSecond, Goal: "≥ 50% of limit",
            GoalMet: polling.RequestsPerSecond >= 0.5 * limit.RequestsPerSecond));
        result.Comparisons.Add(new("GET last_operation p99", polling.P99Ms, "ms", "bare Kestrel p99", limit.P99Ms,
            HigherIsBetter: false, Goal: "p99 < 5 ms", GoalMet: polling.P99Ms < 5));
        result.Details["polling"] = polling;
        result.Details["bare_kestrel"] = limit;
        result.Details["body_bytes"] = body.Length;
        result.Notes.Add($"Response body {body.Length} bytes; the baseline serves exactly those bytes on the same route, as its own process.");
        return result;
    }

    public static async Task<Guid[]> InstanceIds(PostgresDatabase database, int max)
    {
        await using var command = database.DataSource.CreateCommand($"SELECT instance_id FROM broker.last_operations LIMIT {max}");
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
        return ids.Count > 0 ? ids.ToArray() : throw new InvalidOperationException("No instances to poll.");
    }
}
