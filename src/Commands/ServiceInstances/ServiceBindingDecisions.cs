using EventSourced.Commands.EventStore;
using EventSourced.Commands.Json;
using static EventSourced.Commands.ServiceInstances.ServiceInstanceDecisions;

namespace EventSourced.Commands.ServiceInstances;

public sealed record BindServiceInstance(
    Guid InstanceId, Guid BindingId, Guid OperationId, string? AppGuid, string? Parameters, string? Context,
    Guid? PredecessorBindingId, DateTimeOffset Now, DateTimeOffset? ExpiresAt = null, string? PlanId = null);

public sealed record UnbindServiceInstance(Guid InstanceId, Guid BindingId, Guid OperationId, DateTimeOffset Now);

/// <summary>The binding sub-provisioner reports how creating or revoking a binding's credentials ended.</summary>
public sealed record RecordBindingOutcome(Guid BindingId, Guid OperationId, IDomainEvent Outcome);

/// <summary>
/// The rules for bindings, decided on the binding's own stream with the instance's state as it is when the binding is
/// decided (usable? busy with an operation of its own?).
/// </summary>
public static class ServiceBindingDecisions
{
    /// <param name="predecessor">The binding named by <c>predecessor_binding_id</c>, when the command names one.</param>
    public static Decision Decide(ServiceInstance instance, ServiceBinding? binding, ServiceBinding? predecessor, BindServiceInstance command)
    {
        if (Usable(instance, command.InstanceId) is { } refused) return refused;
        if (binding is not null && binding.InstanceId != command.InstanceId)
            return Decision.Reject(DomainErrorCode.Conflict, $"Service binding {command.BindingId} belongs to another service instance.");
        if (binding is not null && !binding.IsOf(instance)) binding = null;
        if (command.PredecessorBindingId is not null && (predecessor is not { Status: BindingStatus.Created } || !predecessor.IsOf(instance)))
            return Decision.Reject(DomainErrorCode.Invalid, $"predecessor_binding_id {command.PredecessorBindingId} is not a binding of this instance.");

        if (binding is { Exists: true, Status: not BindingStatus.Failed } existing)
        {
            // A binding recorded before plans were kept in its request (PlanId null) is taken as the same plan.
            var same = existing.AppGuid == command.AppGuid && (existing.PlanId is null || existing.PlanId == command.PlanId)
                && JsonText.Equivalent(existing.Parameters, command.Parameters) && existing.PredecessorBindingId == command.PredecessorBindingId;
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
                command.Context, command.PredecessorBindingId, command.Now, command.ExpiresAt, command.PlanId, instance.Host),
        ]);
    }

    /// <summary>A binding of an instance that is gone is gone too (the instance's server took its role with it).</summary>
    public static Decision Decide(ServiceInstance instance, ServiceBinding? binding, UnbindServiceInstance command) => binding switch
    {
        null or { Exists: false } => Gone(command.BindingId),
        _ when binding.InstanceId != command.InstanceId || !instance.Exists || !binding.IsOf(instance) => Gone(command.BindingId),
        { Status: BindingStatus.Deleting } deleting => new Decision.AlreadyInProgress(deleting.LastOperation.Id),
        { Status: BindingStatus.Creating } => Decision.Reject(DomainErrorCode.ConcurrencyError,
            $"Service binding {command.BindingId} is still being created."),
        _ => new Decision.Accepted(command.OperationId, [
            new ServiceBindingDeletionRequested(command.InstanceId, command.BindingId, command.OperationId, command.Now, instance.Host),
        ]),
    };

    public static Decision Decide(ServiceBinding? binding, RecordBindingOutcome command) =>
        binding is { LastOperation: { InProgress: true } current } && current.Id == command.OperationId
            ? new Decision.Accepted(command.OperationId, [command.Outcome])
            : Decision.Reject(DomainErrorCode.Conflict, $"Binding operation {command.OperationId} is not in progress.");

    private static Decision Gone(Guid bindingId) => Decision.Reject(DomainErrorCode.Gone, $"Service binding {bindingId} does not exist.");
}
