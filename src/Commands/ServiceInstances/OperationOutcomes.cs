using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>The event that ends an instance operation of each kind.</summary>
public static class OperationOutcomes
{
    public static IDomainEvent Succeeded(OperationKind kind, Guid instanceId, Guid operationId, DateTimeOffset at) => kind switch
    {
        OperationKind.Provision => new ServiceInstanceProvisioned(instanceId, operationId, at),
        OperationKind.Update => new ServiceInstanceUpdated(instanceId, operationId, at),
        // An export ends with what it made (the snapshot's path and checksum): only its worker can record that.
        OperationKind.Export => throw new InvalidOperationException($"An export ({operationId}) succeeds only with its snapshot recorded."),
        OperationKind.Backup => throw new InvalidOperationException($"A backup ({operationId}) succeeds only with its archive recorded."),
        OperationKind.Restore => throw new InvalidOperationException($"A restore ({operationId}) succeeds only with its backup named."),
        _ => new ServiceInstanceDeprovisioned(instanceId, operationId, at),
    };

    public static IDomainEvent Failed(OperationKind kind, Guid instanceId, Guid operationId, string reason, DateTimeOffset at) => kind switch
    {
        OperationKind.Provision => new ServiceInstanceProvisioningFailed(instanceId, operationId, reason, at),
        OperationKind.Update => new ServiceInstanceUpdateFailed(instanceId, operationId, reason, at),
        OperationKind.Export => new SnapshotExportFailed(instanceId, operationId, reason, at),
        OperationKind.Backup => new BackupFailed(instanceId, operationId, reason, at),
        OperationKind.Restore => new BackupRestoreFailed(instanceId, operationId, reason, at),
        _ => new ServiceInstanceDeprovisioningFailed(instanceId, operationId, reason, at),
    };
}
