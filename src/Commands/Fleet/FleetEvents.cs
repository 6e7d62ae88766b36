using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.Fleet;

/// <summary>What a fleet run does to every instance it names (on-demand-service-broker's errands).</summary>
public enum FleetRunKind
{
    /// <summary>Each instance whose plan's maintenance_info is newer than its own is updated to it, data kept.</summary>
    UpgradeAll,

    /// <summary>Every instance with a server of its own (dedicated and clusters) has its VMs recreated, data kept (BOSH's recreate).</summary>
    RecreateAll,
}

/// <summary>An instance a fleet run will update: from the release it runs to its plan's current one (a recreate: the one it runs).</summary>
public sealed record FleetTarget(Guid InstanceId, string ServiceId, string PlanId, string? FromVersion, string ToVersion);

/// <summary>
/// An operator started a fleet run over <paramref name="Targets"/>, in that order: the first <paramref name="Canaries"/>
/// go first, and nothing else is touched unless they all succeed; then at most <paramref name="MaxInFlight"/> at once.
/// </summary>
/// <param name="RequestedBy">The ops client's originating identity: every update the run makes is recorded as theirs.</param>
public sealed record FleetRunStarted(
    Guid RunId, FleetRunKind Kind, IReadOnlyList<FleetTarget> Targets, int Canaries, int MaxInFlight, string? RequestedBy,
    DateTimeOffset At) : IDomainEvent;

/// <summary>The run updates one instance as operation <paramref name="OperationId"/> (recorded before the update is asked
/// for, so a runner that dies between the two asks again with the same operation, never twice).</summary>
public sealed record FleetInstanceStarted(Guid RunId, Guid InstanceId, Guid OperationId, DateTimeOffset At) : IDomainEvent;

/// <summary>How one instance's update ended, as its own last operation says (or why it was skipped).</summary>
public sealed record FleetInstanceEnded(
    Guid RunId, Guid InstanceId, Guid OperationId, FleetInstanceResult Result, string Description, DateTimeOffset At) : IDomainEvent;

public enum FleetInstanceResult { Succeeded, Failed, Skipped }

/// <summary>The run ended: every instance done, or a canary failed and the rest were left alone.</summary>
public sealed record FleetRunFinished(Guid RunId, bool Succeeded, string Description, DateTimeOffset At) : IDomainEvent;
