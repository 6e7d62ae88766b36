using EventSourced.Commands.ServiceInstances;
using static EventSourced.Commands.Tests.ServiceInstances.BindingGiven;

namespace EventSourced.Commands.Tests.ServiceInstances;

public sealed class UnbindDecisionsTests
{
    private static UnbindServiceInstance Unbind(Guid? operation = null) => new(InstanceId, BindingId, operation ?? Guid.NewGuid(), Now);

    private static DomainErrorCode Refusal(Decision decision) => Assert.IsType<Decision.Rejected>(decision).Error.Code;

    [Fact]
    public void Unbind_Unknown_IsGone() =>
        Assert.Equal(DomainErrorCode.Gone, Refusal(ServiceBindingDecisions.Decide(ProvisionedInstance(), null, Unbind())));

    [Fact]
    public void Unbind_Created_RequestsDeletion_AndAfterDeletionIsGone()
    {
        var operation = Guid.NewGuid();
        var accepted = Assert.IsType<Decision.Accepted>(ServiceBindingDecisions.Decide(ProvisionedInstance(), CreatedBinding(), Unbind(operation)));
        var deletion = Assert.IsType<ServiceBindingDeletionRequested>(Assert.Single(accepted.Events));
        Assert.Equal((BindingId, operation), (deletion.BindingId, deletion.OperationId));

        var deleted = Binding(Requested(), Created(), deletion, new ServiceBindingDeleted(InstanceId, BindingId, operation, Now));

        Assert.Null(deleted.EncryptedPassword);
        Assert.Equal(DomainErrorCode.Gone, Refusal(ServiceBindingDecisions.Decide(ProvisionedInstance(), deleted, Unbind())));
    }

    [Fact]
    public void Unbind_ABindingOfADeprovisionedInstance_IsGone() =>
        Assert.Equal(DomainErrorCode.Gone, Refusal(ServiceBindingDecisions.Decide(DeprovisionedInstance(), CreatedBinding(), Unbind())));

    [Fact]
    public void Unbind_ABindingOfAnotherInstance_IsGone() =>
        Assert.Equal(DomainErrorCode.Gone, Refusal(ServiceBindingDecisions.Decide(ProvisionedInstance(), CreatedBinding(instanceId: OtherInstanceId), Unbind())));

    [Fact]
    public void Unbind_WhileDeleting_ReturnsTheDeletion()
    {
        var deleting = Guid.NewGuid();
        var binding = Binding(Requested(), Created(), new ServiceBindingDeletionRequested(InstanceId, BindingId, deleting, Now));
        Assert.Equal(deleting, Assert.IsType<Decision.AlreadyInProgress>(ServiceBindingDecisions.Decide(ProvisionedInstance(), binding, Unbind())).OperationId);
    }

    [Fact]
    public void Unbind_WhileCreating_IsAConcurrencyError() =>
        Assert.Equal(DomainErrorCode.ConcurrencyError, Refusal(ServiceBindingDecisions.Decide(ProvisionedInstance(), Binding(Requested()), Unbind())));
}
