using System.Collections.Immutable;
using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.Fleet;

public enum FleetInstanceState { Pending, Updating, Succeeded, Failed, Skipped }

/// <summary>One instance of a run: where its update stands.</summary>
public sealed record FleetRunInstance(
    FleetTarget Target, bool Canary, FleetInstanceState State = FleetInstanceState.Pending, Guid? OperationId = null,
    string? Description = null, DateTimeOffset? StartedAt = null, DateTimeOffset? EndedAt = null)
{
    public Guid InstanceId => Target.InstanceId;
    public bool Ended => State is FleetInstanceState.Succeeded or FleetInstanceState.Failed or FleetInstanceState.Skipped;
}

/// <summary>A fleet run, folded from its events.</summary>
public sealed record FleetRun(
    Guid RunId, FleetRunKind Kind, ImmutableList<FleetRunInstance> Instances, int Canaries, int MaxInFlight, string? RequestedBy,
    DateTimeOffset StartedAt, DateTimeOffset? FinishedAt = null, bool? Succeeded = null, string? Description = null)
{
    public bool Finished => FinishedAt is not null;
    public int Updating => Instances.Count(i => i.State == FleetInstanceState.Updating);
    public FleetRunInstance? Instance(Guid instanceId) => Instances.FirstOrDefault(i => i.InstanceId == instanceId);

    /// <summary>Canaries still to go (pending or updating): until there are none, only canaries start.</summary>
    public bool InCanaryPhase => Instances.Any(i => i.Canary && !i.Ended);

    public FleetRunInstance? FailedCanary => Instances.FirstOrDefault(i => i.Canary && i.State == FleetInstanceState.Failed);

    /// <summary>"2 of 5 upgraded (recreated), 1 updating, 0 failed": how far it got.</summary>
    public string Progress =>
        $"{Count(FleetInstanceState.Succeeded)} of {Instances.Count} {(Kind == FleetRunKind.RecreateAll ? "recreated" : "upgraded")}, {Count(FleetInstanceState.Updating)} updating, " +
        $"{Count(FleetInstanceState.Failed)} failed, {Count(FleetInstanceState.Skipped)} skipped";

    public int Count(FleetInstanceState state) => Instances.Count(i => i.State == state);
}

/// <summary>Every fleet run, folded from the one stream <see cref="StreamId"/>: one stream, so that two operators (or two
/// runners) never run two at once — each decision is made on the whole history at its version.</summary>
public sealed record FleetHistory(ImmutableList<FleetRun> Runs)
{
    public const string StreamId = "fleet";

    public static readonly FleetHistory Empty = new(ImmutableList<FleetRun>.Empty);

    public FleetRun? Active => Runs.LastOrDefault(r => !r.Finished);
    public FleetRun? Find(Guid runId) => Runs.FirstOrDefault(r => r.RunId == runId);

    public static FleetHistory Fold(IEnumerable<IDomainEvent> events) => events.Aggregate(Empty, Evolve);

    public static FleetHistory Evolve(FleetHistory state, IDomainEvent @event) => @event switch
    {
        FleetRunStarted e => state with
        {
            Runs = state.Runs.Add(new FleetRun(e.RunId, e.Kind,
                e.Targets.Select((target, index) => new FleetRunInstance(target, Canary: index < e.Canaries)).ToImmutableList(),
                e.Canaries, e.MaxInFlight, e.RequestedBy, e.At)),
        },
        FleetInstanceStarted e => state.Change(e.RunId, e.InstanceId,
            i => i with { State = FleetInstanceState.Updating, OperationId = e.OperationId, StartedAt = e.At }),
        FleetInstanceEnded e => state.Change(e.RunId, e.InstanceId, i => i with
        {
            State = e.Result switch
            {
                FleetInstanceResult.Succeeded => FleetInstanceState.Succeeded,
                FleetInstanceResult.Failed => FleetInstanceState.Failed,
                _ => FleetInstanceState.Skipped,
            },
            Description = e.Description, EndedAt = e.At,
        }),
        FleetRunFinished e => state.Change(e.RunId, run => run with { FinishedAt = e.At, Succeeded = e.Succeeded, Description = e.Description }),
        _ => state,
    };

    private FleetHistory Change(Guid runId, Func<FleetRun, FleetRun> change) =>
        this with { Runs = Runs.Select(r => r.RunId == runId ? change(r) : r).ToImmutableList() };

    private FleetHistory Change(Guid runId, Guid instanceId, Func<FleetRunInstance, FleetRunInstance> change) =>
        Change(runId, run => run with { Instances = run.Instances.Select(i => i.InstanceId == instanceId ? change(i) : i).ToImmutableList() });
}
