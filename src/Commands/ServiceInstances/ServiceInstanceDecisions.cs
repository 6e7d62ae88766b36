using EventSourced.Commands.EventStore;
using EventSourced.Commands.Json;

namespace EventSourced.Commands.ServiceInstances;

public sealed record ProvisionServiceInstance(
    Guid InstanceId, Guid OperationId, string ServiceId, string PlanId, string OrganizationGuid, string SpaceGuid,
    string? Parameters, string? Context, int DiskMb, DateTimeOffset Now, string? MaintenanceInfoVersion = null);

public sealed record DeprovisionServiceInstance(Guid InstanceId, Guid OperationId, DateTimeOffset Now);

/// <summary>A sub-provisioner or the saga reports how a step of an operation ended.</summary>
public sealed record RecordOperationOutcome(Guid OperationId, IDomainEvent Outcome);

/// <summary>The pure rules of a service instance's stream: state + command → events or a domain error.</summary>
public static class ServiceInstanceDecisions
{
    public static Decision Decide(ServiceInstance state, ProvisionServiceInstance command) => state.Status switch
    {
        InstanceStatus.None or InstanceStatus.Deprovisioned => Requested(command),
        InstanceStatus.ProvisioningFailed when SameRequest(state, command) => Requested(command),
        InstanceStatus.Provisioning when SameRequest(state, command) => new Decision.AlreadyInProgress(state.LastOperation!.Id),
        InstanceStatus.Provisioned when SameRequest(state, command) => new Decision.AlreadyDone(),
        InstanceStatus.Deprovisioning => Decision.Reject(DomainErrorCode.ConcurrencyError,
            $"Service instance {state.Id} is being deprovisioned."),
        _ => Decision.Reject(DomainErrorCode.Conflict,
            $"Service instance {state.Id} already exists with different attributes."),
    };

    public static Decision Decide(ServiceInstance state, DeprovisionServiceInstance command) => state.Status switch
    {
        InstanceStatus.None or InstanceStatus.Deprovisioned => Decision.Reject(DomainErrorCode.Gone,
            $"Service instance {command.InstanceId} does not exist."),
        InstanceStatus.Deprovisioning => new Decision.AlreadyInProgress(state.LastOperation!.Id),
        InstanceStatus.Provisioning => Decision.Reject(DomainErrorCode.ConcurrencyError,
            $"Service instance {state.Id} is still being provisioned."),
        _ => new Decision.Accepted(command.OperationId, [
            new ServiceInstanceDeprovisioningRequested(command.InstanceId, command.OperationId, command.Now),
        ]),
    };

    /// <summary>
    /// Outcomes only count for the operation in progress; a repeated report changes nothing. Once a provisioning is being
    /// rolled back, late successes are refused so that the sub-provisioner that reported one undoes its own work.
    /// </summary>
    public static Decision Decide(ServiceInstance state, RecordOperationOutcome command)
    {
        if (state.LastOperation is not { State: OperationState.InProgress } current || current.Id != command.OperationId)
            return Decision.Reject(DomainErrorCode.Conflict, $"Operation {command.OperationId} is not in progress.");
        if (state.RollingBack && command.Outcome is StorageProvisioned or ServerProvisioned or DatabaseProvisioned
                or ServiceInstanceProvisioned or ServiceInstanceOperationTimedOut)
            return Decision.Reject(DomainErrorCode.Conflict, $"Operation {command.OperationId} is being rolled back.");
        return AlreadyRecorded(state, current, command.Outcome)
            ? new Decision.AlreadyDone()
            : new Decision.Accepted(command.OperationId, [command.Outcome]);
    }

    private static bool AlreadyRecorded(ServiceInstance state, Operation current, IDomainEvent outcome) => outcome switch
    {
        ServiceInstanceOperationTimedOut => current.TimedOut,
        StorageProvisioned => state.Storage is not null,
        ServerProvisioned => state.Server is not null,
        DatabaseProvisioned => state.Database is not null,
        _ => false,
    };

    private static Decision Requested(ProvisionServiceInstance command) =>
        new Decision.Accepted(command.OperationId, [
            new ServiceInstanceProvisioningRequested(command.InstanceId, command.OperationId, command.ServiceId, command.PlanId,
                command.OrganizationGuid, command.SpaceGuid, command.Parameters, command.Context, command.DiskMb, command.Now),
        ]);

    private static bool SameRequest(ServiceInstance state, ProvisionServiceInstance command) =>
        state.ServiceId == command.ServiceId && state.PlanId == command.PlanId
        && state.OrganizationGuid == command.OrganizationGuid && state.SpaceGuid == command.SpaceGuid
        && JsonText.Equivalent(state.Parameters, command.Parameters);
}
