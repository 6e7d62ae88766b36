using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Tests.ServiceInstances;

public sealed class BindingDecisionsTests
{
    private static readonly Guid InstanceId = Guid.NewGuid();
    private static readonly Guid BindingId = Guid.NewGuid();
    private static readonly Guid Provisioning = Guid.NewGuid();
    private static readonly Guid Binding = Guid.NewGuid();
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static readonly IDomainEvent[] Provisioned =
    [
        new ServiceInstanceProvisioningRequested(InstanceId, Provisioning, "pg", "small", "org", "space", null, null, 1024, Now),
        new ServiceInstanceProvisioned(InstanceId, Provisioning, Now),
    ];

    private static ServiceBindingRequested Requested(Guid? bindingId = null, string? parameters = null) =>
        new(InstanceId, bindingId ?? BindingId, Binding, "app", parameters, null, null, Now);

    private static ServiceBindingCreated Created(Guid? bindingId = null) =>
        new(InstanceId, bindingId ?? BindingId, Binding, "binding_x", "v1:secret", Now);

    private static BindServiceInstance Bind(string? parameters = null, Guid? predecessor = null, Guid? bindingId = null) =>
        new(InstanceId, bindingId ?? BindingId, Guid.NewGuid(), "app", parameters, null, predecessor, Now);

    private static ServiceInstance Given(params IDomainEvent[] events) => ServiceInstance.Fold([.. Provisioned, .. events]);

    [Fact]
    public void Bind_ProvisionedInstance_RequestsCredentials()
    {
        var accepted = Assert.IsType<Decision.Accepted>(ServiceBindingDecisions.Decide(Given(), Bind()));
        Assert.IsType<ServiceBindingRequested>(Assert.Single(accepted.Events));
    }

    [Fact]
    public void Bind_IdenticalWhileCreating_ReturnsTheSameOperation() =>
        Assert.Equal(Binding, Assert.IsType<Decision.AlreadyInProgress>(ServiceBindingDecisions.Decide(Given(Requested()), Bind())).OperationId);

    [Fact]
    public void Bind_IdenticalAfterCreated_IsAlreadyDone() =>
        Assert.IsType<Decision.AlreadyDone>(ServiceBindingDecisions.Decide(Given(Requested(), Created()), Bind()));

    [Fact]
    public void Bind_DifferentParameters_Conflicts()
    {
        var rejected = Assert.IsType<Decision.Rejected>(ServiceBindingDecisions.Decide(Given(Requested(), Created()), Bind("""{"x":1}""")));
        Assert.Equal(DomainErrorCode.Conflict, rejected.Error.Code);
    }

    [Fact]
    public void Bind_DuringAnInstanceUpdate_IsAConcurrencyError()
    {
        var state = Given(new ServiceInstanceUpdateRequested(InstanceId, Guid.NewGuid(), "small", """{"max_connections":60}""", null, 1024, Now));
        Assert.Equal(DomainErrorCode.ConcurrencyError, Assert.IsType<Decision.Rejected>(ServiceBindingDecisions.Decide(state, Bind())).Error.Code);
    }

    [Fact]
    public void Bind_FailedInstance_IsUnprocessable()
    {
        var state = ServiceInstance.Fold([Provisioned[0], new ServiceInstanceProvisioningFailed(InstanceId, Provisioning, "boom", Now)]);
        Assert.Equal(DomainErrorCode.Unprocessable, Assert.IsType<Decision.Rejected>(ServiceBindingDecisions.Decide(state, Bind())).Error.Code);
    }

    [Fact]
    public void Bind_WithAPredecessor_CreatesANewBindingBesideIt()
    {
        var successor = Guid.NewGuid();
        var accepted = Assert.IsType<Decision.Accepted>(ServiceBindingDecisions.Decide(Given(Requested(), Created()), Bind(predecessor: BindingId, bindingId: successor)));
        var requested = Assert.IsType<ServiceBindingRequested>(Assert.Single(accepted.Events));
        Assert.Equal((successor, (Guid?)BindingId), (requested.BindingId, requested.PredecessorBindingId));
    }

    [Fact]
    public void Bind_WithAnUnknownPredecessor_IsInvalid() =>
        Assert.Equal(DomainErrorCode.Invalid, Assert.IsType<Decision.Rejected>(
            ServiceBindingDecisions.Decide(Given(), Bind(predecessor: Guid.NewGuid(), bindingId: Guid.NewGuid()))).Error.Code);

    [Fact]
    public void Unbind_Unknown_IsGone() =>
        Assert.Equal(DomainErrorCode.Gone, Assert.IsType<Decision.Rejected>(
            ServiceBindingDecisions.Decide(Given(), new UnbindServiceInstance(InstanceId, BindingId, Guid.NewGuid(), Now))).Error.Code);

    [Fact]
    public void Unbind_Created_RequestsDeletion_AndAfterDeletionIsGone()
    {
        var operation = Guid.NewGuid();
        var state = Given(Requested(), Created());
        var accepted = Assert.IsType<Decision.Accepted>(ServiceBindingDecisions.Decide(state, new UnbindServiceInstance(InstanceId, BindingId, operation, Now)));
        state = ServiceInstance.Fold([.. Provisioned, Requested(), Created(), .. accepted.Events, new ServiceBindingDeleted(InstanceId, BindingId, operation, Now)]);
        Assert.Null(state.FindBinding(BindingId)!.EncryptedPassword);
        Assert.IsType<Decision.Rejected>(ServiceBindingDecisions.Decide(state, new UnbindServiceInstance(InstanceId, BindingId, Guid.NewGuid(), Now)));
    }

    [Fact]
    public void Outcome_ForAnotherBindingOperation_IsRefused() =>
        Assert.IsType<Decision.Rejected>(ServiceBindingDecisions.Decide(Given(Requested()),
            new RecordBindingOutcome(BindingId, Guid.NewGuid(), Created())));
}
