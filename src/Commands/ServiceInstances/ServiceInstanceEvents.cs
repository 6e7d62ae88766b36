using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.ServiceInstances;

public enum ResourceKind { Storage, Server, Database }

public sealed record ServiceInstanceProvisioningRequested(
    Guid InstanceId, Guid OperationId, string ServiceId, string PlanId, string OrganizationGuid, string SpaceGuid,
    string? Parameters, string? Context, int DiskMb, DateTimeOffset RequestedAt) : IDomainEvent;

public sealed record StorageProvisioned(Guid InstanceId, Guid OperationId, string DataDirectory, int DiskMb, DateTimeOffset ProvisionedAt) : IDomainEvent;

public sealed record ServerProvisioned(Guid InstanceId, Guid OperationId, string Host, int Port, DateTimeOffset ProvisionedAt) : IDomainEvent;

/// <summary>The admin password is stored only encrypted (see <see cref="Secrets.SecretProtector"/>).</summary>
public sealed record DatabaseProvisioned(
    Guid InstanceId, Guid OperationId, string Database, string AdminUsername, string EncryptedAdminPassword, DateTimeOffset ProvisionedAt) : IDomainEvent;

public sealed record ResourceProvisioningFailed(Guid InstanceId, Guid OperationId, ResourceKind Resource, string Reason, DateTimeOffset FailedAt) : IDomainEvent;

/// <summary>Recorded by the broker's watchdog when an operation ran past the allowed time; provisioning is then rolled back.</summary>
public sealed record ServiceInstanceOperationTimedOut(Guid InstanceId, Guid OperationId, DateTimeOffset TimedOutAt) : IDomainEvent;

public sealed record ServiceInstanceProvisioned(Guid InstanceId, Guid OperationId, DateTimeOffset ProvisionedAt) : IDomainEvent;

public sealed record ServiceInstanceProvisioningFailed(Guid InstanceId, Guid OperationId, string Reason, DateTimeOffset FailedAt) : IDomainEvent;

public sealed record ServiceInstanceDeprovisioningRequested(Guid InstanceId, Guid OperationId, DateTimeOffset RequestedAt) : IDomainEvent;

public sealed record DatabaseDeprovisioned(Guid InstanceId, Guid OperationId, DateTimeOffset DeprovisionedAt) : IDomainEvent;

public sealed record ServerDeprovisioned(Guid InstanceId, Guid OperationId, DateTimeOffset DeprovisionedAt) : IDomainEvent;

public sealed record StorageDeprovisioned(Guid InstanceId, Guid OperationId, DateTimeOffset DeprovisionedAt) : IDomainEvent;

public sealed record ResourceDeprovisioningFailed(Guid InstanceId, Guid OperationId, ResourceKind Resource, string Reason, DateTimeOffset FailedAt) : IDomainEvent;

public sealed record ServiceInstanceDeprovisioned(Guid InstanceId, Guid OperationId, DateTimeOffset DeprovisionedAt) : IDomainEvent;

public sealed record ServiceInstanceDeprovisioningFailed(Guid InstanceId, Guid OperationId, string Reason, DateTimeOffset FailedAt) : IDomainEvent;
