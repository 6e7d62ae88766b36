using EventSourced.Commands.Hosts;
using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.ServiceInstances;

// Each binding has its own stream, service-binding-{id}; the events name their instance, whose state a bind is decided on.

public sealed record ServiceBindingRequested(
    Guid InstanceId, Guid BindingId, Guid OperationId, string? AppGuid, string? Parameters, string? Context,
    Guid? PredecessorBindingId, DateTimeOffset RequestedAt, DateTimeOffset? ExpiresAt = null, string? PlanId = null,
    string? Host = null) : IDomainEvent, IRunsOnHost;

/// <summary>The binding's login role exists; its password is stored only encrypted.</summary>
public sealed record ServiceBindingCreated(
    Guid InstanceId, Guid BindingId, Guid OperationId, string Username, string EncryptedPassword, DateTimeOffset CreatedAt) : IDomainEvent;

public sealed record ServiceBindingFailed(Guid InstanceId, Guid BindingId, Guid OperationId, string Reason, DateTimeOffset FailedAt) : IDomainEvent;

public sealed record ServiceBindingDeletionRequested(
    Guid InstanceId, Guid BindingId, Guid OperationId, DateTimeOffset RequestedAt, string? Host = null) : IDomainEvent, IRunsOnHost;

public sealed record ServiceBindingDeleted(Guid InstanceId, Guid BindingId, Guid OperationId, DateTimeOffset DeletedAt) : IDomainEvent;

public sealed record ServiceBindingDeletionFailed(Guid InstanceId, Guid BindingId, Guid OperationId, string Reason, DateTimeOffset FailedAt) : IDomainEvent;
