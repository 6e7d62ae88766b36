using System.Collections.Immutable;
using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.ServiceInstances;

public sealed partial record ServiceInstance
{
    private ServiceInstance EvolveBinding(IDomainEvent @event) => @event switch
    {
        ServiceBindingRequested e => WithBinding(new ServiceBinding(e.BindingId, BindingStatus.Creating, e.AppGuid, e.Parameters,
            e.PredecessorBindingId, [new Operation(e.OperationId, OperationKind.Bind, OperationState.InProgress, "Binding requested", e.RequestedAt)],
            e.RequestedAt, e.ExpiresAt), e.RequestedAt),
        ServiceBindingCreated e => ChangeBinding(e.BindingId, b => b with
        {
            Status = BindingStatus.Created, Username = e.Username, EncryptedPassword = e.EncryptedPassword,
            Operations = Finish(b, OperationState.Succeeded, "Credentials created", e.CreatedAt),
        }, e.CreatedAt),
        ServiceBindingFailed e => ChangeBinding(e.BindingId, b => b with
            { Status = BindingStatus.Failed, Operations = Finish(b, OperationState.Failed, e.Reason, e.FailedAt) }, e.FailedAt),
        ServiceBindingDeletionRequested e => ChangeBinding(e.BindingId, b => b with
        {
            Status = BindingStatus.Deleting,
            Operations = b.Operations.Add(new Operation(e.OperationId, OperationKind.Unbind, OperationState.InProgress, "Unbinding requested", e.RequestedAt)),
        }, e.RequestedAt),
        ServiceBindingDeleted e => ChangeBinding(e.BindingId, b => b with
        {
            Status = BindingStatus.Deleted, EncryptedPassword = null,
            Operations = Finish(b, OperationState.Succeeded, "Credentials revoked", e.DeletedAt),
        }, e.DeletedAt),
        ServiceBindingDeletionFailed e => ChangeBinding(e.BindingId, b => b with
            { Status = BindingStatus.Created, Operations = Finish(b, OperationState.Failed, e.Reason, e.FailedAt) }, e.FailedAt),
        _ => this,
    };

    public ServiceBinding? FindBinding(Guid bindingId) => Bindings.GetValueOrDefault(bindingId);

    private ServiceInstance WithBinding(ServiceBinding binding, DateTimeOffset at) =>
        this with { Bindings = Bindings.SetItem(binding.Id, binding), UpdatedAt = at };

    private ServiceInstance ChangeBinding(Guid bindingId, Func<ServiceBinding, ServiceBinding> change, DateTimeOffset at) =>
        Bindings.TryGetValue(bindingId, out var binding) ? WithBinding(change(binding), at) : this;

    private static ImmutableList<Operation> Finish(ServiceBinding binding, OperationState outcome, string description, DateTimeOffset at) =>
        binding.Operations.SetItem(binding.Operations.Count - 1, binding.LastOperation with { State = outcome, Description = description, FinishedAt = at });
}
