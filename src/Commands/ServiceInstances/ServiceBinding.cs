using System.Collections.Immutable;
using System.Text.Json.Serialization;
using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.ServiceInstances;

public enum BindingStatus { Creating, Created, Failed, Deleting, Deleted }

/// <summary>
/// A binding, folded from its own stream <c>service-binding-{id}</c> (many apps binding one instance at once never
/// contend on one stream): a login role of its own on the instance's server; the password is only ever kept encrypted.
/// </summary>
public sealed record ServiceBinding(
    Guid Id,
    Guid InstanceId,
    BindingStatus Status,
    string? AppGuid,
    string? Parameters,
    Guid? PredecessorBindingId,
    ImmutableList<Operation> Operations,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt = null,
    string? Username = null,
    string? EncryptedPassword = null,
    DateTimeOffset? UpdatedAt = null,
    string? PlanId = null)
{
    public const string StreamPrefix = "service-binding-";

    public static string StreamId(Guid bindingId) => $"{StreamPrefix}{bindingId}";

    [JsonIgnore]
    public Operation LastOperation => Operations[^1];

    [JsonIgnore]
    public bool Exists => Status is not BindingStatus.Deleted;

    /// <summary>
    /// Whether this binding was made on <paramref name="instance"/> as it is now: a binding of an earlier life of the same
    /// instance id (deprovisioned, then provisioned again) went with that life's server.
    /// </summary>
    public bool IsOf(ServiceInstance instance) => InstanceId == instance.Id && CreatedAt >= instance.CreatedAt;

    /// <summary>Null for a stream without events.</summary>
    public static ServiceBinding? Fold(IEnumerable<IDomainEvent> events) => events.Aggregate((ServiceBinding?)null, Evolve);

    public static ServiceBinding? Evolve(ServiceBinding? state, IDomainEvent @event) => (state, @event) switch
    {
        (_, ServiceBindingRequested e) => new ServiceBinding(e.BindingId, e.InstanceId, BindingStatus.Creating, e.AppGuid, e.Parameters,
            e.PredecessorBindingId, [new Operation(e.OperationId, OperationKind.Bind, OperationState.InProgress, "Binding requested", e.RequestedAt)],
            e.RequestedAt, e.ExpiresAt, UpdatedAt: e.RequestedAt, PlanId: e.PlanId),
        (null, _) => null,
        ({ } b, ServiceBindingCreated e) => b with
        {
            Status = BindingStatus.Created, Username = e.Username, EncryptedPassword = e.EncryptedPassword,
            Operations = b.Finish(OperationState.Succeeded, "Credentials created", e.CreatedAt), UpdatedAt = e.CreatedAt,
        },
        ({ } b, ServiceBindingFailed e) => b with
            { Status = BindingStatus.Failed, Operations = b.Finish(OperationState.Failed, e.Reason, e.FailedAt), UpdatedAt = e.FailedAt },
        ({ } b, ServiceBindingDeletionRequested e) => b with
        {
            Status = BindingStatus.Deleting, UpdatedAt = e.RequestedAt,
            Operations = b.Operations.Add(new Operation(e.OperationId, OperationKind.Unbind, OperationState.InProgress, "Unbinding requested", e.RequestedAt)),
        },
        ({ } b, ServiceBindingDeleted e) => b with
        {
            Status = BindingStatus.Deleted, EncryptedPassword = null, UpdatedAt = e.DeletedAt,
            Operations = b.Finish(OperationState.Succeeded, "Credentials revoked", e.DeletedAt),
        },
        ({ } b, ServiceBindingDeletionFailed e) => b with
            { Status = BindingStatus.Created, Operations = b.Finish(OperationState.Failed, e.Reason, e.FailedAt), UpdatedAt = e.FailedAt },
        _ => state,
    };

    private ImmutableList<Operation> Finish(OperationState outcome, string description, DateTimeOffset at) =>
        Operations.SetItem(Operations.Count - 1, LastOperation with { State = outcome, Description = description, FinishedAt = at });
}
