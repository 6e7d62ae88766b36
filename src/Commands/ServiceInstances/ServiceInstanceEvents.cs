using EventSourced.Commands.Hosts;
using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.ServiceInstances;

public enum ResourceKind { Storage, Server, Database }

public sealed record ServiceInstanceProvisioningRequested(
    Guid InstanceId, Guid OperationId, string ServiceId, string PlanId, string OrganizationGuid, string SpaceGuid,
    string? Parameters, string? Context, int DiskMb, DateTimeOffset RequestedAt,
    string? MaintenanceVersion = null, DateTimeOffset? DeadlineAt = null,
    InstanceShape Shape = InstanceShape.Dedicated, Guid? ClusterId = null, string? Host = null) : IDomainEvent
{
    /// <summary>An import: the snapshot whose data the new instance's database is restored from before it is provisioned.</summary>
    public Guid? RestoreFromSnapshot { get; init; }
}

/// <param name="Host">The worker host whose disk it is (every later step of the instance runs there).</param>
public sealed record StorageProvisioned(
    Guid InstanceId, Guid OperationId, string DataDirectory, int DiskMb, DateTimeOffset ProvisionedAt, string? Host = null) : IDomainEvent;

public sealed record ServerProvisioned(Guid InstanceId, Guid OperationId, string Host, int Port, DateTimeOffset ProvisionedAt) : IDomainEvent;

/// <summary>The admin password is stored only encrypted (see <see cref="Secrets.SecretProtector"/>).</summary>
public sealed record DatabaseProvisioned(
    Guid InstanceId, Guid OperationId, string Database, string AdminUsername, string EncryptedAdminPassword, DateTimeOffset ProvisionedAt) : IDomainEvent;

public sealed record ResourceProvisioningFailed(Guid InstanceId, Guid OperationId, ResourceKind Resource, string Reason, DateTimeOffset FailedAt) : IDomainEvent;

/// <summary>Recorded by the broker's watchdog when an operation ran past the allowed time; provisioning is then rolled back.</summary>
public sealed record ServiceInstanceOperationTimedOut(Guid InstanceId, Guid OperationId, DateTimeOffset TimedOutAt) : IDomainEvent;

public sealed record ServiceInstanceProvisioned(Guid InstanceId, Guid OperationId, DateTimeOffset ProvisionedAt) : IDomainEvent;

public sealed record ServiceInstanceProvisioningFailed(Guid InstanceId, Guid OperationId, string Reason, DateTimeOffset FailedAt) : IDomainEvent;

/// <summary>A deprovision request arrived while the provisioning was still running: that provisioning stops here.</summary>
public sealed record ServiceInstanceProvisioningCancelled(Guid InstanceId, Guid OperationId, DateTimeOffset CancelledAt) : IDomainEvent;

/// <param name="Shape">The instance's shape, for the saga that removes what it is made of.</param>
public sealed record ServiceInstanceDeprovisioningRequested(
    Guid InstanceId, Guid OperationId, DateTimeOffset RequestedAt, DateTimeOffset? DeadlineAt = null,
    InstanceShape Shape = InstanceShape.Dedicated, string? Host = null) : IDomainEvent;

public sealed record DatabaseDeprovisioned(Guid InstanceId, Guid OperationId, DateTimeOffset DeprovisionedAt) : IDomainEvent;

public sealed record ServerDeprovisioned(Guid InstanceId, Guid OperationId, DateTimeOffset DeprovisionedAt) : IDomainEvent;

public sealed record StorageDeprovisioned(Guid InstanceId, Guid OperationId, DateTimeOffset DeprovisionedAt) : IDomainEvent;

public sealed record ResourceDeprovisioningFailed(Guid InstanceId, Guid OperationId, ResourceKind Resource, string Reason, DateTimeOffset FailedAt) : IDomainEvent;

public sealed record ServiceInstanceDeprovisioned(Guid InstanceId, Guid OperationId, DateTimeOffset DeprovisionedAt) : IDomainEvent;

public sealed record ServiceInstanceDeprovisioningFailed(Guid InstanceId, Guid OperationId, string Reason, DateTimeOffset FailedAt) : IDomainEvent;

/// <param name="Recreate">Every VM of the instance is to be recreated even where nothing else changes (recreate-all).</param>
public sealed record ServiceInstanceUpdateRequested(
    Guid InstanceId, Guid OperationId, string PlanId, string? Parameters, string? MaintenanceVersion, int DiskMb,
    DateTimeOffset RequestedAt, DateTimeOffset? DeadlineAt = null, string? Host = null, bool Recreate = false) : IDomainEvent;

/// <summary>The server runs with the requested plan's disk and the requested parameters' settings.</summary>
public sealed record ServerReconfigured(Guid InstanceId, Guid OperationId, int DiskMb, DateTimeOffset ReconfiguredAt) : IDomainEvent;

/// <param name="InstanceUsable">Whether the instance still serves after the failure (null: not known, taken as usable).</param>
public sealed record ResourceUpdateFailed(
    Guid InstanceId, Guid OperationId, ResourceKind Resource, string Reason, DateTimeOffset FailedAt, bool? InstanceUsable = null) : IDomainEvent;

public sealed record ServiceInstanceUpdated(Guid InstanceId, Guid OperationId, DateTimeOffset UpdatedAt) : IDomainEvent;

public sealed record ServiceInstanceUpdateFailed(Guid InstanceId, Guid OperationId, string Reason, DateTimeOffset FailedAt) : IDomainEvent;

/// <summary>Only the platform context changed (e.g. a renamed space): recorded at once, no operation needed.</summary>
public sealed record ServiceInstanceContextUpdated(Guid InstanceId, string Context, DateTimeOffset UpdatedAt) : IDomainEvent;

/// <summary>
/// A step finished after its operation was rolled back or ended: what it created is no part of the instance and must be
/// removed. Recorded before the removal, so that a removal that fails or a broker that dies first cannot lose it.
/// </summary>
public sealed record OrphanedResourceFound(Guid InstanceId, Guid OperationId, ResourceKind Resource, DateTimeOffset FoundAt)
    : IDomainEvent, IRunsOnHost
{
    /// <summary>Where the resource is (the instance's host).</summary>
    public string? Host { get; init; }
}

/// <summary>The orphan is gone: removed, or kept because the instance's current life recorded that resource as its own.</summary>
public sealed record OrphanedResourceRemoved(Guid InstanceId, Guid OperationId, ResourceKind Resource, bool Kept, DateTimeOffset RemovedAt) : IDomainEvent;

/// <summary>
/// The resurrector found the instance's dedicated server not answering (its process killed or dead) and started it again
/// on its port, with its settings. Not part of any operation: recorded only on an instance that is provisioned and idle.
/// </summary>
public sealed record ServerResurrected(Guid InstanceId, int Port, DateTimeOffset ResurrectedAt, string Reason) : IDomainEvent;
