using System.Text.Json.Serialization;

namespace EventSourced.Commands.ServiceInstances;

public enum OperationKind { Provision, Deprovision, Update, Bind, Unbind, Export, Backup, Restore }

/// <summary>The OSB last-operation states, spelled as the spec spells them in <see cref="OperationStates"/>.</summary>
public enum OperationState { InProgress, Succeeded, Failed }

/// <summary>
/// One asynchronous OSB operation; <see cref="DeadlineAt"/> comes from the plan's maximum polling duration.
/// <see cref="InstanceUsable"/>: a failed update's word on whether the instance still serves (null: not known).
/// </summary>
public sealed record Operation(
    Guid Id, OperationKind Kind, OperationState State, string Description, DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt = null, bool TimedOut = false, DateTimeOffset? DeadlineAt = null, bool? InstanceUsable = null)
{
    [JsonIgnore]
    public bool InProgress => State == OperationState.InProgress;
}
