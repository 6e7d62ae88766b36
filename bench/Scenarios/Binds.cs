using System.Diagnostics;
using System.Text;
using EventSourced.Bench.Infrastructure;
using EventSourced.Bench.Reporting;

namespace EventSourced.Bench.Scenarios;

/// <summary>
/// 7. 100 binds of one instance sent at once (accepts_incomplete, 202 once recorded): each bind takes a share lock on the
/// instance's stream row and reads it in its own transaction. Beside it, 100 provisions of new instances sent at once
/// to the same broker: the same request count and concurrency on 100 unrelated streams, so the ratio is the price of the
/// one instance every bind shares.
/// </summary>
public static class Binds
{
    private const int Count = 100;

    public static async Task<ScenarioResult> Run(BrokerUnderTest broker, BenchOptions options)
    {
        var result = new ScenarioResult("7", $"{Count} concurrent binds of one instance vs {Count} concurrent provisions");
        using var load = new HttpLoad(broker.Process.BaseAddress, broker.Headers, broker.Process.Pid);
        var instance = Guid.NewGuid();
        var (status, _) = await load.Send(load.Request(HttpMethod.Put, BrokerUnderTest.ProvisionPath(instance), BrokerUnderTest.ProvisionBody));
        if (status != 202) throw new InvalidOperationException($"The instance's PUT answered {status}");
        await broker.Drain(options.DrainTimeout);
        // Warm both paths once (first bind, first provision after the drain), unmeasured.
        await Burst(load, 4, _ => load.Request(HttpMethod.Put, BindPath(instance, Guid.NewGuid()), BindBody));
        await broker.Drain(options.DrainTimeout);

        var createdBefore = await Created(broker);
        var binds = await Burst(load, Count, _ => load.Request(HttpMethod.Put, BindPath(instance, Guid.NewGuid()), BindBody));
        var allCreated = await UntilCreated(broker, createdBefore + Count, options.DrainTimeout);
        await broker.Drain(options.DrainTimeout);
        var provisions = await Burst(load, Count, _ => load.Request(HttpMethod.Put, BrokerUnderTest.ProvisionPath(Guid.NewGuid()), BrokerUnderTest.ProvisionBody));
        await broker.Drain(options.DrainTimeout);

        result.Comparisons.Add(new($"{Count} binds of one instance at once: 202s per second", binds.PerSecond, "binds/s",
            $"{Count} provisions of new instances at once: 202s per second", provisions.PerSecond));
        result.Comparisons.Add(new("bind p99 (request → 202)", binds.P99Ms, "ms", "provision p99 (request → 202)", provisions.P99Ms, HigherIsBetter: false));
        result.Details["binds"] = binds;
        result.Details["provisions"] = provisions;
        result.Details["seconds_until_all_binds_created"] = allCreated;
        result.Notes.Add($"202s per second = {Count} / the time from the first request sent to the last answer. All {Count} bindings created " +
                         (allCreated is { } s ? $"{s:N2} s after the burst was sent (ServiceBindingCreated events in the log)." : "— not within the drain timeout."));
        return result;
    }

    public sealed record BurstResult(int Requests, int Errors, double Seconds, double PerSecond, double P50Ms, double P99Ms, double MaxMs);

    /// <summary>Sends <paramref name="count"/> requests at once (one connection each) and times each answer.</summary>
    public static async Task<BurstResult> Burst(HttpLoad load, int count, Func<int, HttpRequestMessage> request)
    {
        var requests = Enumerable.Range(0, count).Select(request).ToArray();
        var latencies = new double[count];
        var errors = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(requests.Select(async (r, i) =>
        {
            var started = Stopwatch.GetTimestamp();
            var (status, _) = await load.Send(r);
            latencies[i] = Latencies.Milliseconds(Stopwatch.GetTimestamp() - started);
            if (status != 202) Interlocked.Increment(ref errors);
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        return new BurstResult(count, errors, seconds, count / seconds, Latencies.Percentile(latencies, 50), Latencies.Percentile(latencies, 99), latencies[^1]);
    }

    private static readonly byte[] BindBody = Encoding.UTF8.GetBytes(
        $$"""{"service_id":"{{BrokerUnderTest.ServiceId}}","plan_id":"{{BrokerUnderTest.PlanId}}","app_guid":"app-guid"}""");

    private static string BindPath(Guid instance, Guid binding) =>
        $"/v2/service_instances/{instance}/service_bindings/{binding}?accepts_incomplete=true";

    private static async Task<long> Created(BrokerUnderTest broker) =>
        await broker.Database.Scalar<long>("SELECT count(*) FROM broker.mt_events WHERE type = 'ServiceBindingCreated'");

    private static async Task<double?> UntilCreated(BrokerUnderTest broker, long target, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await Created(broker) >= target) return clock.Elapsed.TotalSeconds;
            await Task.Delay(50);
        }
        return null;
    }
}
