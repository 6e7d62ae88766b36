using EventSourced.Commands.EventStore;
using EventSourced.Commands.Json;
using static EventSourced.Commands.ServiceInstances.ServiceInstanceDecisions;

namespace EventSourced.Commands.ServiceInstances;

public sealed record BindServiceInstance(
    Guid InstanceId, Guid BindingId, Guid OperationId, string? AppGuid, string? Parameters, string? Context,
    Guid? PredecessorBindingId, DateTimeOffset Now, DateTimeOffset? ExpiresAt = null);

public sealed record UnbindServiceInstance(Guid InstanceId, Guid BindingId, Guid OperationId, DateTimeOffset Now);

/// <summary>The binding sub-provisioner reports how creating or revoking a binding's credentials ended.</summary>
public sealed record RecordBindingOutcome(Guid BindingId, Guid OperationId, IDomainEvent Outcome);

/// <summary>The rules for bindings, decided on the instance's stream so they see the instance's own operations.</summary>
public static class ServiceBindingDecisions
{
    public static Decision Decide(ServiceInstance state, BindServiceInstance command)
    {
        if (Usable(state, command.InstanceId) is { } refused) return refused;
        if (command.PredecessorBindingId is { } predecessor && state.FindBinding(predecessor) is not { Status: BindingStatus.Created })
            return Decision.Reject(DomainErrorCode.Invalid, $"predecessor_binding_id {predecessor} is not a binding of this instance.");

        if (state.FindBinding(command.BindingId) is { Exists: true, Status: not BindingStatus.Failed } existing)
        {
            var same = existing.AppGuid == command.AppGuid && JsonText.Equivalent(existing.Parameters, command.Parameters)
                && existing.PredecessorBindingId == command.PredecessorBindingId;
            return (same, existing.Status) switch
            {
                (true, BindingStatus.Creating) => new Decision.AlreadyInProgress(existing.LastOperation.Id),
                (true, BindingStatus.Created) => new Decision.AlreadyDone(),
                (true, _) => Decision.Reject(DomainErrorCode.ConcurrencyError, $"Service binding {command.BindingId} is being deleted."),
                _ => Decision.Reject(DomainErrorCode.Conflict, $"Service binding {command.BindingId} already exists with different attributes."),
            };
        }
        return new Decision.Accepted(command.OperationId, [
            new ServiceBindingRequested(command.InstanceId, command.BindingId, command.OperationId, command.AppGuid, command.Parameters,
                command.Context, command.PredecessorBindingId, command.Now, command.ExpiresAt),
        ]);
    }

    public static Decision Decide(ServiceInstance state, UnbindServiceInstance command) => state.FindBinding(command.BindingId) switch
    {
        null or { Exists: false } => Decision.Reject(DomainErrorCode.Gone, $"Service binding {command.BindingId} does not exist."),
        { Status: BindingStatus.Deleting } deleting => new Decision.AlreadyInProgress(deleting.LastOperation.Id),
        { Status: BindingStatus.Creating } => Decision.Reject(DomainErrorCode.ConcurrencyError,
            $"Service binding {command.BindingId} is still being created."),
        _ => new Decision.Accepted(command.OperationId, [
            new ServiceBindingDeletionRequested(command.InstanceId, command.BindingId, command.OperationId, command.Now),
        ]),
    };

    public static Decision Decide(ServiceInstance state, RecordBindingOutcome command) =>
        state.FindBinding(command.BindingId) is { LastOperation: { InProgress: true } current } && current.Id == command.OperationId
            ? new Decision.Accepted(command.OperationId, [command.Outcome])
            : Decision.Reject(DomainErrorCode.Conflict, $"Binding operation {command.OperationId} is not in progress.");
}
