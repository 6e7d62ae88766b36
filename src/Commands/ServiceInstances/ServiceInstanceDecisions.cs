using EventSourced.Commands.Clusters;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.Json;

namespace EventSourced.Commands.ServiceInstances;

public sealed record ProvisionServiceInstance(
    Guid InstanceId, Guid OperationId, string ServiceId, string PlanId, string OrganizationGuid, string SpaceGuid,
    string? Parameters, string? Context, int DiskMb, DateTimeOffset Now,
    string? MaintenanceInfoVersion = null, string? PlanMaintenanceVersion = null, DateTimeOffset? DeadlineAt = null,
    InstanceShape Shape = InstanceShape.Dedicated, Guid? ClusterId = null, string? Host = null, string? NoRoom = null)
{
    /// <summary>An import: the (verified) snapshot the new instance's database is restored from.</summary>
    public Guid? RestoreFromSnapshot { get; init; }

    /// <summary>The AZs of the current cloud config (null: none uploaded), for parameter <c>azs</c>.</summary>
    public CloudAzs? Cloud { get; init; }
}

/// <summary>A snapshot of the instance's data into the snapshots root (a folder <paramref name="Destination"/> of it when given).</summary>
public sealed record ExportServiceInstance(
    Guid InstanceId, Guid OperationId, Guid SnapshotId, string? Destination, DateTimeOffset ExpiresAt, DateTimeOffset Now, DateTimeOffset? DeadlineAt = null);

public sealed record DeprovisionServiceInstance(Guid InstanceId, Guid OperationId, DateTimeOffset Now, DateTimeOffset? DeadlineAt = null);

/// <summary>
/// A PATCH: absent plan, parameters, maintenance version or context change nothing. Parameters are merged into the
/// current ones (a null value removes a key). Which plan changes are allowed is the catalog's call (from, to).
/// </summary>
public sealed record UpdateServiceInstance(
    Guid InstanceId, Guid OperationId, string? PlanId, string? Parameters, string? Context, string? MaintenanceVersion,
    int DiskMb, Func<string, string, bool> CanChangePlan, DateTimeOffset Now, DateTimeOffset? DeadlineAt = null, bool Recreate = false);

/// <summary>A step's success was refused (its operation was rolled back or ended): what it created is to be removed.</summary>
public sealed record RecordOrphan(Guid OperationId, ResourceKind Resource, DateTimeOffset Now);

/// <summary>The orphan was removed, or kept because the instance holds that resource again.</summary>
public sealed record RecordOrphanRemoved(Guid OperationId, ResourceKind Resource, bool Kept, DateTimeOffset Now);

/// <summary>A sub-provisioner or the saga reports how a step of an operation ended.</summary>
public sealed record RecordOperationOutcome(Guid OperationId, IDomainEvent Outcome);

/// <summary>
/// The resurrector restarted (or, asked first on the state it read, would restart) the instance's dead server on
/// <paramref name="Port"/>; <paramref name="ResurrectionId"/> correlates its log lines and event.
/// </summary>
public sealed record RecordServerResurrection(Guid InstanceId, Guid ResurrectionId, int Port, string Reason, DateTimeOffset Now);

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

    /// <summary>A deprovision during provisioning cancels it (OSB): the removal chain then cleans up whatever was created.</summary>
    public static Decision Decide(ServiceInstance state, DeprovisionServiceInstance command) => state.Status switch
    {
        InstanceStatus.None or InstanceStatus.Deprovisioned => Decision.Reject(DomainErrorCode.Gone,
            $"Service instance {command.InstanceId} does not exist."),
        InstanceStatus.Deprovisioning => new Decision.AlreadyInProgress(state.LastOperation!.Id),
        _ when !state.Children.IsEmpty => Decision.Reject(DomainErrorCode.Invalid, ClusterRules.DeleteRefused(state.Children)),
        InstanceStatus.Provisioning => new Decision.Accepted(command.OperationId, [
            new ServiceInstanceProvisioningCancelled(command.InstanceId, state.LastOperation!.Id, command.Now),
            new ServiceInstanceDeprovisioningRequested(command.InstanceId, command.OperationId, command.Now, command.DeadlineAt, state.Shape, state.Host),
        ]),
        _ when state.Busy => Decision.Reject(DomainErrorCode.ConcurrencyError,
            $"Service instance {state.Id} has operation {state.LastOperation!.Id} in progress."),
        _ => new Decision.Accepted(command.OperationId, [
            new ServiceInstanceDeprovisioningRequested(command.InstanceId, command.OperationId, command.Now, command.DeadlineAt, state.Shape, state.Host),
        ]),
    };

    public static Decision Decide(ServiceInstance state, UpdateServiceInstance command)
    {
        if (Usable(state, command.InstanceId) is { } refused) return refused;

        var plan = command.PlanId ?? state.PlanId;
        if (!command.CanChangePlan(state.PlanId, plan))
            return Decision.Reject(DomainErrorCode.Invalid, $"The plan of service instance {state.Id} cannot change from {state.PlanId} to {plan}.");
        // The backup component is taken out of the parameters: it is recorded on its own and needs no operation.
        var (backup, others, backupRefused) = BackupParameter.Take(command.Parameters);
        if (backupRefused is not null) return Decision.Reject(DomainErrorCode.Invalid, backupRefused);
        if (backup is not null && (BackupDecisions.Unsupported(state) ?? Refused(BackupParameter.Refusal(backup, state.Backups))) is { } noBackups)
            return noBackups;
        var parameters = others is null ? state.Parameters : JsonText.Merge(state.Parameters, others);
        if (state.Shape == InstanceShape.Cluster && ClusterRules.UnshareRefused(state, ClusterShare.In(parameters)) is { } unshare)
            return Decision.Reject(DomainErrorCode.Invalid, unshare);
        var maintenance = command.MaintenanceVersion ?? state.MaintenanceVersion;
        List<IDomainEvent> events = [];
        if (command.Context is not null && !JsonText.Equivalent(state.Context, command.Context))
            events.Add(new ServiceInstanceContextUpdated(state.Id, command.Context, command.Now));
        if (backup is not null && BackupParameter.Change(state.Id, backup, state.Backups, command.Now) is { } scheduled) events.Add(scheduled);
        if (command.Recreate || plan != state.PlanId || !JsonText.Equivalent(parameters, state.Parameters) || maintenance != state.MaintenanceVersion)
            events.Add(new ServiceInstanceUpdateRequested(state.Id, command.OperationId, plan, parameters, maintenance,
                plan == state.PlanId ? state.DiskMb : command.DiskMb, command.Now, command.DeadlineAt, state.Host, command.Recreate));
        return events.Count == 0 ? new Decision.AlreadyDone() : new Decision.Accepted(command.OperationId, events);
    }

    /// <summary>
    /// An export is an operation of a provisioned, idle instance: it may not run beside an update or a deprovision (nor
    /// those beside it). A cluster has no database of its own to export.
    /// </summary>
    public static Decision Decide(ServiceInstance state, ExportServiceInstance command)
    {
        if (Usable(state, command.InstanceId) is { } refused) return refused;
        if (state.Shape is InstanceShape.Cluster)
            return Decision.Reject(DomainErrorCode.Unprocessable, $"Service instance {state.Id} is a cluster: export its databases instead.");
        return new Decision.Accepted(command.OperationId, [
            new SnapshotExportRequested(state.Id, command.OperationId, command.SnapshotId, command.Destination, command.ExpiresAt, command.Now,
                command.DeadlineAt, state.Host),
        ]);
    }

    /// <summary>The retention sweep removed a snapshot: recorded once.</summary>
    public static Decision Decide(IReadOnlyList<IDomainEvent> stream, Guid snapshotId, DateTimeOffset now)
    {
        if (stream.OfType<SnapshotExpired>().Any(e => e.SnapshotId == snapshotId)) return new Decision.AlreadyDone();
        return stream.OfType<SnapshotExported>().FirstOrDefault(e => e.SnapshotId == snapshotId) is { } exported
            ? new Decision.Accepted(exported.OperationId, [new SnapshotExpired(exported.InstanceId, snapshotId, now)])
            : Decision.Reject(DomainErrorCode.NotFound, $"Snapshot {snapshotId} was not exported from this instance.");
    }

    /// <summary>
    /// Outcomes only count for the operation in progress; a repeated report changes nothing. Once a provisioning is being
    /// rolled back, late successes are refused so that the sub-provisioner that reported one undoes its own work.
    /// </summary>
    public static Decision Decide(ServiceInstance state, RecordOperationOutcome command)
    {
        if (state.LastOperation is not { InProgress: true } current || current.Id != command.OperationId)
            return Decision.Reject(DomainErrorCode.Conflict, $"Operation {command.OperationId} is not in progress.");
        if (state.RollingBack && command.Outcome is StorageProvisioned or ServerProvisioned or DatabaseProvisioned
                or ServiceInstanceProvisioned or ServiceInstanceOperationTimedOut)
            return Decision.Reject(DomainErrorCode.Conflict, $"Operation {command.OperationId} is being rolled back.");
        return AlreadyRecorded(state, current, command.Outcome)
            ? new Decision.AlreadyDone()
            : new Decision.Accepted(command.OperationId, [command.Outcome]);
    }

    /// <summary>
    /// Only a provisioned instance with no operation of its own running has its server brought back: one being
    /// provisioned, rolled back, updated or deprovisioned is the saga's to start or stop, and the resurrector must not
    /// fight it. The port must be the one the log gave the server.
    /// </summary>
    public static Decision Decide(ServiceInstance state, RecordServerResurrection command) =>
        state.Status != InstanceStatus.Provisioned
            ? Decision.Reject(DomainErrorCode.Conflict, $"Service instance {command.InstanceId} is not provisioned ({state.Status}).")
        : state.Busy
            ? Decision.Reject(DomainErrorCode.ConcurrencyError, $"Service instance {state.Id} has operation {state.LastOperation!.Id} in progress.")
        : state.Server?.Port != command.Port
            ? Decision.Reject(DomainErrorCode.Conflict, $"The server of service instance {state.Id} runs on port {state.Server?.Port.ToString() ?? "none"}, not {command.Port}.")
        : new Decision.Accepted(command.ResurrectionId, [new ServerResurrected(command.InstanceId, command.Port, command.Now, command.Reason)]);

    /// <summary>
    /// A step already recorded: its success again, or a failure after its success (a re-sent step that ran twice, whose
    /// second run lost to the first) — neither may undo what the first run recorded.
    /// </summary>
    private static bool AlreadyRecorded(ServiceInstance state, Operation current, IDomainEvent outcome) => outcome switch
    {
        ResourceProvisioningFailed { Resource: ResourceKind.Storage } => state.Storage is not null,
        ResourceProvisioningFailed { Resource: ResourceKind.Server } => state.Server is not null,
        ResourceProvisioningFailed { Resource: ResourceKind.Database } => state.Database is not null,
        ServiceInstanceOperationTimedOut => current.TimedOut,
        StorageProvisioned => state.Storage is not null,
        ServerProvisioned => state.Server is not null,
        DatabaseProvisioned => state.Database is not null,
        ServerReconfigured or ResourceUpdateFailed => state.Pending is { Applied: true },
        _ => false,
    };

    /// <summary>An orphan is recorded once, whatever the instance is doing now; it stays pending until recorded removed.</summary>
    public static Decision Decide(ServiceInstance state, RecordOrphan command) =>
        state.Orphans.Contains(new Orphan(command.OperationId, command.Resource))
            ? new Decision.AlreadyDone()
            : new Decision.Accepted(command.OperationId, [new OrphanedResourceFound(state.Id, command.OperationId, command.Resource, command.Now) { Host = state.Host }]);

    public static Decision Decide(ServiceInstance state, RecordOrphanRemoved command) =>
        state.Orphans.Contains(new Orphan(command.OperationId, command.Resource))
            ? new Decision.Accepted(command.OperationId,
                [new OrphanedResourceRemoved(state.Id, command.OperationId, command.Resource, command.Kept, command.Now)])
            : new Decision.AlreadyDone();

    /// <summary>Updates and bindings need a provisioned instance with no operation of its own running; null when it is.</summary>
    internal static Decision? Usable(ServiceInstance state, Guid instanceId) =>
        !state.Exists ? Decision.Reject(DomainErrorCode.NotFound, $"Service instance {instanceId} does not exist.")
        : state.Busy ? Decision.Reject(DomainErrorCode.ConcurrencyError, $"Service instance {state.Id} has operation {state.LastOperation!.Id} in progress.")
        : state.Status != InstanceStatus.Provisioned ? Decision.Reject(DomainErrorCode.Unprocessable, $"Service instance {state.Id} is not usable ({state.Status}).")
        : null;

    /// <summary>A new life of the instance, on the host chosen for it; refused when no host has room for it.</summary>
    private static Decision Requested(ProvisionServiceInstance command)
    {
        if (command.NoRoom is { } full) return Decision.Reject(DomainErrorCode.Unprocessable, full);
        // The backup component is recorded on its own, right after the request that begins the instance's life.
        var (backup, others, backupRefused) = BackupParameter.Take(command.Parameters);
        if (backupRefused is not null) return Decision.Reject(DomainErrorCode.Invalid, backupRefused);
        List<IDomainEvent> events = [
            new ServiceInstanceProvisioningRequested(command.InstanceId, command.OperationId, command.ServiceId, command.PlanId,
                command.OrganizationGuid, command.SpaceGuid, others, command.Context, command.DiskMb, command.Now,
                command.PlanMaintenanceVersion, command.DeadlineAt, command.Shape, command.ClusterId, command.Host)
                { RestoreFromSnapshot = command.RestoreFromSnapshot },
        ];
        if (backup is not null)
        {
            if (command.Shape != InstanceShape.Dedicated)
                return Decision.Reject(DomainErrorCode.Unprocessable, $"parameters.{BackupParameter.Name}: backups are of dedicated instances only (not a {command.Shape}).");
            if (BackupParameter.Refusal(backup, InstanceBackups.None) is { } refusal) return Decision.Reject(DomainErrorCode.Invalid, refusal);
            if (BackupParameter.Change(command.InstanceId, backup, InstanceBackups.None, command.Now) is { } scheduled) events.Add(scheduled);
        }
        return new Decision.Accepted(command.OperationId, events);
    }

    private static Decision? Refused(string? invalid) => invalid is null ? null : Decision.Reject(DomainErrorCode.Invalid, invalid);

    private static bool SameRequest(ServiceInstance state, ProvisionServiceInstance command)
    {
        var (backup, others, _) = BackupParameter.Take(command.Parameters);
        return state.ServiceId == command.ServiceId && state.PlanId == command.PlanId
            && state.OrganizationGuid == command.OrganizationGuid && state.SpaceGuid == command.SpaceGuid
            && JsonText.Equivalent(state.Parameters, others) && state.RestoreFromSnapshot == command.RestoreFromSnapshot
            && (backup is null ? !state.Backups.Enabled : BackupParameter.Change(state.Id, backup, state.Backups, state.CreatedAt ?? default) is null);
    }
}
