using EventSourced.Commands.ServiceInstances;
using EventSourced.Deployments.Simulation;
using Marten;
using Marten.Events;

namespace EventSourced.Broker.Deployments;

/// <summary>
/// The step times a dry run estimates with: the mean duration of each kind of step over the latest deploys' records
/// (<see cref="DeploymentStepCompleted"/>, any instance), and for a kind never recorded yet the given default.
/// <see cref="Recorded"/> says how many records the estimate stands on (0: defaults only).
/// </summary>
public sealed record RecordedStepTimes(StepTimes Times, int Recorded)
{
    /// <summary>How many of the latest records count: recent enough to reflect the machine, enough to smooth one slow step.</summary>
    public const int Window = 500;

    public string Describe() => Recorded == 0
        ? "the backend's default step times (no deploy recorded yet)"
        : $"step times recorded by earlier deploys ({Recorded} steps)";

    public static async Task<RecordedStepTimes> Latest(IDocumentStore store, StepTimes defaults, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.EventTypesAre(typeof(DeploymentStepCompleted)))
            .OrderByDescending(e => e.Sequence)
            .Take(Window)
            .ToListAsync(ct);
        return From(events.Select(e => (DeploymentStepCompleted)e.Data).Select(e => (e.Step, e.Seconds)).ToList(), defaults);
    }

    /// <summary>Pure: the mean per kind of step, the default where a kind has no record.</summary>
    public static RecordedStepTimes From(IReadOnlyList<(string Step, double Seconds)> steps, StepTimes defaults)
    {
        TimeSpan Mean(Func<string, bool> kind, TimeSpan fallback)
        {
            var seconds = steps.Where(s => kind(s.Step)).Select(s => s.Seconds).ToList();
            return seconds.Count == 0 ? fallback : TimeSpan.FromSeconds(seconds.Average());
        }
        var times = new StepTimes(
            Mean(s => s == "create VM", defaults.Create),
            Mean(s => s == "delete VM", defaults.Delete),
            Mean(s => s == "attach disk", defaults.Attach),
            Mean(s => s == "detach disk", defaults.Detach),
            Mean(s => s is not ("create VM" or "delete VM" or "attach disk" or "detach disk"), defaults.Hook));
        return new RecordedStepTimes(times, steps.Count);
    }
}
