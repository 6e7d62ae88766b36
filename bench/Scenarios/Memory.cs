using EventSourced.Bench.Infrastructure;
using EventSourced.Bench.Reporting;

namespace EventSourced.Bench.Scenarios;

/// <summary>6. The broker's resident memory once it holds N provisioned instances (topped up by 16 clients, all succeeded).</summary>
public static class Memory
{
    public static async Task<ScenarioResult> Run(BrokerUnderTest broker, BenchOptions options, double idleRssMb)
    {
        var target = options.HeldInstances;
        var result = new ScenarioResult("6", $"Memory: broker RSS holding {target:N0} instances");
        using var load = new HttpLoad(broker.Process.BaseAddress, broker.Headers, broker.Process.Pid);
        var missing = target - await broker.Requested();
        var next = 0L;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= missing)
                await load.Send(load.Request(HttpMethod.Put, BrokerUnderTest.ProvisionPath(Guid.NewGuid()), BrokerUnderTest.ProvisionBody));
        }));
        var drained = await broker.Drain(options.DrainTimeout * 2);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var (succeeded, failed) = await broker.Outcomes();
        var rss = broker.Process.RssMb();
        result.Comparisons.Add(new($"broker RSS with {succeeded:N0} instances", rss, "MB", "broker RSS right after start (0 instances)", idleRssMb,
            HigherIsBetter: false, Goal: "< 250 MB", GoalMet: rss < 250 && succeeded >= target));
        result.Details["instances_succeeded"] = succeeded;
        result.Details["instances_failed"] = failed;
        result.Details["rss_mb"] = rss;
        result.Details["idle_rss_mb"] = idleRssMb;
        result.Details["drain_seconds"] = drained;
        result.Notes.Add($"RSS read from /proc/<pid>/status (VmRSS); no GC forced. GC: {GcMode.OfBroker()}.");
        result.Details["gc"] = GcMode.OfBroker();
        if (options.Profile)
        {
            var file = Path.Combine(options.ResultsDirectory, $"{DateTime.Now:yyyy-MM-dd}-profile-heap-{succeeded}-instances");
            await HeapProfiler.HeapStat(broker.Process.Pid, file);
            result.Details["rss_mb_after_gcdump"] = broker.Process.RssMb();
            result.Notes.Add($"Managed heap by type after the measurement (a gcdump, which forces a full GC): {Path.GetFileName(file)}.txt");
        }
        return result;
    }
}
