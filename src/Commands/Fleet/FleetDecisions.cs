using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Fleet;

public sealed record StartFleetRun(
    Guid RunId, FleetRunKind Kind, IReadOnlyList<FleetTarget> Targets, int Canaries, int MaxInFlight, string? RequestedBy, DateTimeOffset Now);

/// <summary>What a runner saw of the instances the run is updating (each by the run's own operation id).</summary>
public sealed record FleetObservation(Guid InstanceId, Guid OperationId, FleetInstanceResult Result, string Description);

/// <summary>Record what ended, then start what may start now.</summary>
public sealed record AdvanceFleetRun(Guid RunId, IReadOnlyList<FleetObservation> Observations, Func<Guid> NewOperationId, DateTimeOffset Now);

/// <summary>The pure rules of fleet runs: history + command → events or a domain error.</summary>
public static class FleetDecisions
{
    public const int MaxCanaries = 1000;
    public const int MaxInFlightLimit = 100;

    public static Decision Decide(FleetHistory state, StartFleetRun command)
    {
        if (state.Find(command.RunId) is not null) return new Decision.AlreadyDone();
        if (state.Active is { } active)
            return Decision.Reject(DomainErrorCode.Conflict,
                $"Fleet run {active.RunId} is in progress ({active.Progress}): one fleet run at a time.");
        if (command.Canaries is < 0 or > MaxCanaries)
            return Decision.Reject(DomainErrorCode.Invalid, $"canaries must be from 0 to {MaxCanaries} (not {command.Canaries}).");
        if (command.MaxInFlight is < 1 or > MaxInFlightLimit)
            return Decision.Reject(DomainErrorCode.Invalid, $"maxInFlight must be from 1 to {MaxInFlightLimit} (not {command.MaxInFlight}).");
        if (command.Targets.DistinctBy(t => t.InstanceId).Count() != command.Targets.Count)
            return Decision.Reject(DomainErrorCode.Invalid, "a fleet run names each instance once.");
        var started = new FleetRunStarted(command.RunId, command.Kind, command.Targets, Math.Min(command.Canaries, command.Targets.Count),
            command.MaxInFlight, command.RequestedBy, command.Now);
        IReadOnlyList<IDomainEvent> events = command.Targets.Count == 0
            ? [started, new FleetRunFinished(command.RunId, true, "Nothing to do: every instance runs its plan's current release.", command.Now)]
            : [started];
        return new Decision.Accepted(command.RunId, events);
    }

    /// <summary>
    /// Ends what the observations say ended (only instances updating under that very operation: a repeated observation
    /// changes nothing), then: a failed canary stops the run once nothing is in flight, the other instances untouched;
    /// while canaries remain only they start; then the rest, at most <c>MaxInFlight</c> updating at once. A failure
    /// after the canaries does not stop the run (as on-demand-service-broker's upgrade-all): it is reported at its end.
    /// </summary>
    public static Decision Decide(FleetHistory history, AdvanceFleetRun command)
    {
        if (history.Find(command.RunId) is not { Finished: false }) return new Decision.AlreadyDone();
        List<IDomainEvent> events = [];
        var state = history;
        void Append(IDomainEvent e)
        {
            events.Add(e);
            state = FleetHistory.Evolve(state, e);
        }
        FleetRun Run() => state.Find(command.RunId)!;

        foreach (var seen in command.Observations)
            if (Run().Instance(seen.InstanceId) is { State: FleetInstanceState.Updating } updating && updating.OperationId == seen.OperationId)
                Append(new FleetInstanceEnded(command.RunId, seen.InstanceId, seen.OperationId, seen.Result, seen.Description, command.Now));

        if (Run().FailedCanary is { } canary)
        {
            if (Run().Updating == 0)
            {
                var untouched = Run().Count(FleetInstanceState.Pending);
                Append(new FleetRunFinished(command.RunId, false,
                    $"Canary {canary.InstanceId} failed: {canary.Description} The fleet run stopped; {untouched} instance(s) were not touched.",
                    command.Now));
            }
            return Result(command, events);
        }

        var waiting = Run().Instances.Where(i => i.State == FleetInstanceState.Pending && (!Run().InCanaryPhase || i.Canary));
        foreach (var next in waiting.Take(Math.Max(0, Run().MaxInFlight - Run().Updating)).ToList())
            Append(new FleetInstanceStarted(command.RunId, next.InstanceId, command.NewOperationId(), command.Now));

        if (Run().Instances.All(i => i.Ended))
        {
            var failed = Run().Instances.Where(i => i.State == FleetInstanceState.Failed).ToList();
            var description = failed.Count == 0
                ? $"Done: {Run().Progress}."
                : $"Done with failures: {Run().Progress}. Failed: {string.Join("; ", failed.Select(f => $"{f.InstanceId}: {f.Description}"))}";
            Append(new FleetRunFinished(command.RunId, failed.Count == 0, description, command.Now));
        }
        return Result(command, events);
    }

    private static Decision Result(AdvanceFleetRun command, List<IDomainEvent> events) =>
        events.Count == 0 ? new Decision.AlreadyDone() : new Decision.Accepted(command.RunId, events);
}
