using System.Diagnostics;
using EventSourced.Bench.Infrastructure;
using EventSourced.Bench.Reporting;

namespace EventSourced.Bench.Scenarios;

/// <summary>
/// 8. Cold start: from starting the broker's process (schema already applied, as after a deploy) to its first 202 for a
/// PUT provision, beside a bare Kestrel process (the bench's own constant-JSON server) from its start to its first answer.
/// </summary>
public static class ColdStart
{
    public static async Task<ScenarioResult> Run(BenchOptions options)
    {
        var result = new ScenarioResult("8", "Cold start: process start → first 202 vs bare Kestrel start → first 200");
        var clock = new Stopwatch();
        await using var broker = await BrokerUnderTest.Start(untilFirstAnswer: async (process, headers) =>
        {
            clock.Restart();
            using var load = new HttpLoad(process.BaseAddress, headers, process.Pid);
            while (true)
            {
                try
                {
                    var (status, _) = await load.Send(load.Request(HttpMethod.Put, BrokerUnderTest.ProvisionPath(Guid.NewGuid()), BrokerUnderTest.ProvisionBody));
                    if (status == 202) return clock.Elapsed.TotalSeconds;
                }
                catch (HttpRequestException)
                {
                }
                if (clock.Elapsed > TimeSpan.FromSeconds(90)) throw new TimeoutException("No 202 within 90 s of the broker's start.");
                await Task.Delay(10);
            }
        });
        var brokerSeconds = broker.FirstAnswerSeconds!.Value;

        var bareClock = Stopwatch.StartNew();
        await using var bare = await ConstantJsonServer.Start("{}");
        var bareSeconds = bareClock.Elapsed.TotalSeconds;

        result.Comparisons.Add(new("process start → first 202 (PUT provision)", brokerSeconds * 1000, "ms",
            "bare Kestrel process start → first 200", bareSeconds * 1000, HigherIsBetter: false, Goal: "< 3 s", GoalMet: brokerSeconds < 3));
        result.Details["broker_seconds"] = brokerSeconds;
        result.Details["bare_kestrel_seconds"] = bareSeconds;
        result.Notes.Add("The broker is started as `dotnet EventSourced.Broker.dll` (Production, schema applied beforehand by `db apply`) and sent a PUT " +
                         "every 10 ms from the moment the process is started; bare Kestrel is timed from its start until its health route answers " +
                         "(polled by the bench's process helper).");
        return result;
    }
}
