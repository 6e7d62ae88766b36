using EventSourced.Commands.ServiceInstances;
using static EventSourced.Commands.Tests.ServiceInstances.BindingGiven;

namespace EventSourced.Commands.Tests.ServiceInstances;

public sealed class ServiceBindingEvolveTests
{
    [Fact]
    public void Fold_NoEvents_IsNull() => Assert.Null(ServiceBinding.Fold([]));

    [Fact]
    public void Fold_OutcomeWithoutARequest_IsNull() => Assert.Null(ServiceBinding.Fold([Created()]));

    [Fact]
    public void Requested_StartsABindOperationOnItsInstance()
    {
        var predecessor = Guid.NewGuid();
        var binding = Binding(Requested(predecessor: predecessor) with { ExpiresAt = Now.AddDays(1) });

        Assert.Equal((BindingId, InstanceId, BindingStatus.Creating, "app", (Guid?)predecessor, (DateTimeOffset?)Now.AddDays(1)),
            (binding.Id, binding.InstanceId, binding.Status, binding.AppGuid, binding.PredecessorBindingId, binding.ExpiresAt));
        Assert.Equal((BindOperation, OperationKind.Bind, OperationState.InProgress), (binding.LastOperation.Id, binding.LastOperation.Kind, binding.LastOperation.State));
        Assert.True(binding.Exists);
    }

    [Fact]
    public void Created_KeepsTheCredentialsAndFinishesTheOperation()
    {
        var binding = CreatedBinding();

        Assert.Equal((BindingStatus.Created, "binding_x", "v1:secret"), (binding.Status, binding.Username, binding.EncryptedPassword));
        Assert.Equal((OperationState.Succeeded, (DateTimeOffset?)Now), (binding.LastOperation.State, binding.LastOperation.FinishedAt));
    }

    [Fact]
    public void Failed_KeepsTheReason()
    {
        var binding = Binding(Requested(), new ServiceBindingFailed(InstanceId, BindingId, BindOperation, "no role", Now));

        Assert.Equal((BindingStatus.Failed, OperationState.Failed, "no role"), (binding.Status, binding.LastOperation.State, binding.LastOperation.Description));
    }

    [Fact]
    public void Deleted_ForgetsThePasswordAndKeepsBothOperations()
    {
        var unbind = Guid.NewGuid();
        var binding = Binding(Requested(), Created(),
            new ServiceBindingDeletionRequested(InstanceId, BindingId, unbind, Now),
            new ServiceBindingDeleted(InstanceId, BindingId, unbind, Now.AddSeconds(1)));

        Assert.Equal((BindingStatus.Deleted, (string?)null, false), (binding.Status, binding.EncryptedPassword, binding.Exists));
        Assert.Equal([(BindOperation, OperationKind.Bind), (unbind, OperationKind.Unbind)], binding.Operations.Select(o => (o.Id, o.Kind)));
        Assert.Equal(OperationState.Succeeded, binding.LastOperation.State);
    }

    [Fact]
    public void DeletionFailed_LeavesTheBindingCreated()
    {
        var unbind = Guid.NewGuid();
        var binding = Binding(Requested(), Created(),
            new ServiceBindingDeletionRequested(InstanceId, BindingId, unbind, Now),
            new ServiceBindingDeletionFailed(InstanceId, BindingId, unbind, "server down", Now));

        Assert.Equal((BindingStatus.Created, "v1:secret"), (binding.Status, binding.EncryptedPassword));
        Assert.Equal((unbind, OperationState.Failed, "server down"), (binding.LastOperation.Id, binding.LastOperation.State, binding.LastOperation.Description));
    }
}
