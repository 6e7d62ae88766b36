using EventSourced.Commands.EventStore;

namespace EventSourced.ServiceManager.Instances;

/// <summary>A platform asked for an instance through the proxy; recorded (claiming the id) before the broker is asked.</summary>
public sealed record InstanceProvisionRequested(
    string Id, string BrokerId, string ServicePlanId, string ServiceCatalogId, string PlanCatalogId, string PlatformId, string Context,
    string? Parameters, string? ReferencedInstanceId, string OperationId, DateTimeOffset Deadline, DateTimeOffset At) : IDomainEvent;

public sealed record InstanceUpdateRequested(
    string OperationId, string ServicePlanId, string PlanCatalogId, string Context, string? Parameters, DateTimeOffset Deadline, DateTimeOffset At) : IDomainEvent;

public sealed record InstanceDeprovisionRequested(string OperationId, DateTimeOffset Deadline, DateTimeOffset At) : IDomainEvent;

public sealed record InstanceShared(DateTimeOffset At) : IDomainEvent;

public sealed record InstanceUnshared(DateTimeOffset At) : IDomainEvent;

public sealed record InstanceLabelsChanged(Dictionary<string, string[]> Labels, DateTimeOffset At) : IDomainEvent;

/// <summary>A platform asked for a binding; <see cref="TargetInstanceId"/> is the instance the broker binds (the shared one, for a reference).</summary>
public sealed record BindingRequested(
    string Id, string InstanceId, string TargetInstanceId, string BrokerId, string ServicePlanId, string PlanCatalogId, string ServiceCatalogId,
    string PlatformId, string Context, string? Parameters, string OperationId, DateTimeOffset Deadline, DateTimeOffset At) : IDomainEvent;

public sealed record UnbindRequested(string OperationId, DateTimeOffset Deadline, DateTimeOffset At) : IDomainEvent;

/// <summary>The broker answered 202: the operation runs there, under the broker's operation id (if it gave one).</summary>
public sealed record BrokerAcceptedOperation(string OperationId, string? BrokerOperation, DateTimeOffset At) : IDomainEvent;

public sealed record OperationSucceeded(string OperationId, string? DashboardUrl, DateTimeOffset At) : IDomainEvent;

/// <summary>
/// The operation failed. <see cref="OrphanMitigation"/>: the broker may have created something (it failed with 5xx, did
/// not answer, failed or timed out asynchronously): the manager deletes it at the broker until the broker says it is gone.
/// </summary>
public sealed record OperationFailed(string OperationId, string Description, bool OrphanMitigation, DateTimeOffset At) : IDomainEvent;

/// <summary>The broker confirmed that what a failed creation may have left is gone.</summary>
public sealed record OrphanMitigated(DateTimeOffset At) : IDomainEvent;

/// <summary>An orphan-mitigation attempt failed; kept so that operators see it retried (and why).</summary>
public sealed record OrphanMitigationAttemptFailed(string Description, DateTimeOffset At) : IDomainEvent;
