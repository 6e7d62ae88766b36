using EventSourced.Commands.ServiceInstances;
using static EventSourced.Commands.Tests.ServiceInstances.BindingGiven;

namespace EventSourced.Commands.Tests.ServiceInstances;

public sealed class BindDecisionsTests
{
    private static BindServiceInstance Bind(string? parameters = null, Guid? predecessor = null, Guid? bindingId = null) =>
        new(InstanceId, bindingId ?? BindingId, Guid.NewGuid(), "app", parameters, null, predecessor, Now);

    private static DomainErrorCode Refusal(Decision decision) => Assert.IsType<Decision.Rejected>(decision).Error.Code;

    [Fact]
    public void Bind_ProvisionedInstance_RequestsCredentials()
    {
        var command = Bind();
        var accepted = Assert.IsType<Decision.Accepted>(ServiceBindingDecisions.Decide(ProvisionedInstance(), null, null, command));
        var requested = Assert.IsType<ServiceBindingRequested>(Assert.Single(accepted.Events));
        Assert.Equal((InstanceId, BindingId, command.OperationId, "app"), (requested.InstanceId, requested.BindingId, requested.OperationId, requested.AppGuid));
    }

    [Fact]
    public void Bind_IdenticalWhileCreating_ReturnsTheSameOperation() =>
        Assert.Equal(BindOperation, Assert.IsType<Decision.AlreadyInProgress>(
            ServiceBindingDecisions.Decide(ProvisionedInstance(), Binding(Requested()), null, Bind())).OperationId);

    [Fact]
    public void Bind_IdenticalAfterCreated_IsAlreadyDone() =>
        Assert.IsType<Decision.AlreadyDone>(ServiceBindingDecisions.Decide(ProvisionedInstance(), CreatedBinding(), null, Bind()));

    [Fact]
    public void Bind_DifferentParameters_Conflicts() =>
        Assert.Equal(DomainErrorCode.Conflict, Refusal(ServiceBindingDecisions.Decide(ProvisionedInstance(), CreatedBinding(), null, Bind("""{"x":1}"""))));

    [Fact]
    public void Bind_ABindingIdOfAnotherInstance_Conflicts() =>
        Assert.Equal(DomainErrorCode.Conflict, Refusal(ServiceBindingDecisions.Decide(
            ProvisionedInstance(), CreatedBinding(instanceId: OtherInstanceId), null, Bind())));

    [Fact]
    public void Bind_AFinishedBindingIdOfAnotherInstance_Conflicts()
    {
        var failed = Binding(Requested(instanceId: OtherInstanceId), new ServiceBindingFailed(OtherInstanceId, BindingId, BindOperation, "boom", Now));
        var unbind = Guid.NewGuid();
        var deleted = Binding(Requested(instanceId: OtherInstanceId), Created(instanceId: OtherInstanceId),
            new ServiceBindingDeletionRequested(OtherInstanceId, BindingId, unbind, Now), new ServiceBindingDeleted(OtherInstanceId, BindingId, unbind, Now));

        Assert.Equal(DomainErrorCode.Conflict, Refusal(ServiceBindingDecisions.Decide(ProvisionedInstance(), failed, null, Bind())));
        Assert.Equal(DomainErrorCode.Conflict, Refusal(ServiceBindingDecisions.Decide(ProvisionedInstance(), deleted, null, Bind())));
    }

    [Fact]
    public void Bind_IdenticalWhileDeleting_IsAConcurrencyError() =>
        Assert.Equal(DomainErrorCode.ConcurrencyError, Refusal(ServiceBindingDecisions.Decide(ProvisionedInstance(),
            Binding(Requested(), Created(), new ServiceBindingDeletionRequested(InstanceId, BindingId, Guid.NewGuid(), Now)), null, Bind())));

    [Fact]
    public void Bind_AfterTheBindingFailed_RequestsItAgain() =>
        Assert.IsType<Decision.Accepted>(ServiceBindingDecisions.Decide(ProvisionedInstance(),
            Binding(Requested(), new ServiceBindingFailed(InstanceId, BindingId, BindOperation, "boom", Now)), null, Bind()));

    [Fact]
    public void Bind_DuringAnInstanceUpdate_IsAConcurrencyError()
    {
        var updating = ProvisionedInstance(new ServiceInstanceUpdateRequested(InstanceId, Guid.NewGuid(), "small", """{"max_connections":60}""", null, 1024, Now));
        Assert.Equal(DomainErrorCode.ConcurrencyError, Refusal(ServiceBindingDecisions.Decide(updating, null, null, Bind())));
    }

    [Fact]
    public void Bind_FailedInstance_IsUnprocessable()
    {
        var failed = ServiceInstance.Fold([
            new ServiceInstanceProvisioningRequested(InstanceId, Provisioning, "pg", "small", "org", "space", null, null, 1024, Now),
            new ServiceInstanceProvisioningFailed(InstanceId, Provisioning, "boom", Now),
        ]);
        Assert.Equal(DomainErrorCode.Unprocessable, Refusal(ServiceBindingDecisions.Decide(failed, null, null, Bind())));
    }

    [Fact]
    public void Bind_UnknownInstance_IsNotFound() =>
        Assert.Equal(DomainErrorCode.NotFound, Refusal(ServiceBindingDecisions.Decide(ServiceInstance.Initial, null, null, Bind())));

    [Fact]
    public void Bind_DeprovisionedInstance_IsNotFound() =>
        Assert.Equal(DomainErrorCode.NotFound, Refusal(ServiceBindingDecisions.Decide(DeprovisionedInstance(), null, null, Bind())));

    [Fact]
    public void Bind_WithAPredecessor_CreatesANewBindingBesideIt()
    {
        var successor = Guid.NewGuid();
        var accepted = Assert.IsType<Decision.Accepted>(ServiceBindingDecisions.Decide(
            ProvisionedInstance(), null, CreatedBinding(), Bind(predecessor: BindingId, bindingId: successor)));
        var requested = Assert.IsType<ServiceBindingRequested>(Assert.Single(accepted.Events));
        Assert.Equal((successor, (Guid?)BindingId), (requested.BindingId, requested.PredecessorBindingId));
    }

    [Fact]
    public void Bind_WithAnUnknownPredecessor_IsInvalid() =>
        Assert.Equal(DomainErrorCode.Invalid, Refusal(ServiceBindingDecisions.Decide(
            ProvisionedInstance(), null, null, Bind(predecessor: Guid.NewGuid(), bindingId: Guid.NewGuid()))));

    [Fact]
    public void Bind_WithAPredecessorOfAnotherInstance_IsInvalid() =>
        Assert.Equal(DomainErrorCode.Invalid, Refusal(ServiceBindingDecisions.Decide(
            ProvisionedInstance(), null, CreatedBinding(instanceId: OtherInstanceId), Bind(predecessor: BindingId, bindingId: Guid.NewGuid()))));

    [Fact]
    public void Bind_WithAPredecessorStillBeingCreated_IsInvalid() =>
        Assert.Equal(DomainErrorCode.Invalid, Refusal(ServiceBindingDecisions.Decide(
            ProvisionedInstance(), null, Binding(Requested()), Bind(predecessor: BindingId, bindingId: Guid.NewGuid()))));

    [Fact]
    public void Bind_ABindingIdOfTheInstancesEarlierLife_IsANewBinding()
    {
        var (deprovisioning, provisioningAgain) = (Guid.NewGuid(), Guid.NewGuid());
        var later = Now.AddDays(1);
        var reprovisioned = ProvisionedInstance(
            new ServiceInstanceDeprovisioningRequested(InstanceId, deprovisioning, Now),
            new ServiceInstanceDeprovisioned(InstanceId, deprovisioning, Now),
            new ServiceInstanceProvisioningRequested(InstanceId, provisioningAgain, "pg", "small", "org", "space", null, null, 1024, later),
            new ServiceInstanceProvisioned(InstanceId, provisioningAgain, later));

        var decision = ServiceBindingDecisions.Decide(reprovisioned, CreatedBinding(), null, Bind());

        Assert.IsType<ServiceBindingRequested>(Assert.Single(Assert.IsType<Decision.Accepted>(decision).Events));
    }
}
