using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Tests.ServiceInstances;

/// <summary>Given events / When command / Then events or error: the stream's rules without infrastructure.</summary>
public sealed class ServiceInstanceDecisionsTests
{
    private static readonly Guid InstanceId = Guid.NewGuid();
    private static readonly Guid FirstOperation = Guid.NewGuid();
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static ProvisionServiceInstance Provision(string planId = "small", string? parameters = null, Guid? operationId = null) =>
        new(InstanceId, operationId ?? Guid.NewGuid(), "pg", planId, "org", "space", parameters, null, 1024, Now);

    private static ServiceInstanceProvisioningRequested Requested(string planId = "small", string? parameters = null) =>
        new(InstanceId, FirstOperation, "pg", planId, "org", "space", parameters, null, 1024, Now);

    private static ServiceInstance Given(params IDomainEvent[] events) => ServiceInstance.Fold(events);

    private static readonly IDomainEvent[] Provisioned =
    [
        Requested(),
        new StorageProvisioned(InstanceId, FirstOperation, "/data/x", 1024, Now),
        new ServerProvisioned(InstanceId, FirstOperation, "127.0.0.1", 56001, Now),
        new DatabaseProvisioned(InstanceId, FirstOperation, "service", "service_admin", "v1:secret", Now),
        new ServiceInstanceProvisioned(InstanceId, FirstOperation, Now),
    ];

    [Fact]
    public void Provision_NewInstance_RequestsProvisioning()
    {
        var command = Provision(parameters: """{"a":1}""");
        var accepted = Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(ServiceInstance.Initial, command));
        var requested = Assert.IsType<ServiceInstanceProvisioningRequested>(Assert.Single(accepted.Events));
        Assert.Equal(command.OperationId, accepted.OperationId);
        Assert.Equal((InstanceId, "small", 1024, """{"a":1}"""), (requested.InstanceId, requested.PlanId, requested.DiskMb, requested.Parameters));
    }

    [Fact]
    public void Provision_IdenticalWhileInProgress_ReturnsSameOperation()
    {
        var decision = ServiceInstanceDecisions.Decide(Given(Requested()), Provision());
        Assert.Equal(FirstOperation, Assert.IsType<Decision.AlreadyInProgress>(decision).OperationId);
    }

    [Fact]
    public void Provision_IdenticalParametersInAnotherKeyOrder_CountAsIdentical()
    {
        var state = Given(Requested(parameters: """{"a":1,"b":[1,2]}"""));
        Assert.IsType<Decision.AlreadyInProgress>(ServiceInstanceDecisions.Decide(state, Provision(parameters: """{ "b":[1,2], "a":1 }""")));
    }

    [Fact]
    public void Provision_IdenticalAfterSuccess_IsAlreadyDone() =>
        Assert.IsType<Decision.AlreadyDone>(ServiceInstanceDecisions.Decide(Given(Provisioned), Provision()));

    [Fact]
    public void Provision_DifferentAttributes_Conflicts()
    {
        var rejected = Assert.IsType<Decision.Rejected>(ServiceInstanceDecisions.Decide(Given(Provisioned), Provision(planId: "large")));
        Assert.Equal(DomainErrorCode.Conflict, rejected.Error.Code);
    }

    [Fact]
    public void Provision_AfterFailedProvisioning_StartsAgain()
    {
        var state = Given(Requested(), new ServiceInstanceProvisioningFailed(InstanceId, FirstOperation, "boom", Now));
        Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(state, Provision()));
    }

    [Fact]
    public void Provision_WhileDeprovisioning_IsAConcurrencyError()
    {
        var state = Given([.. Provisioned, new ServiceInstanceDeprovisioningRequested(InstanceId, Guid.NewGuid(), Now)]);
        var rejected = Assert.IsType<Decision.Rejected>(ServiceInstanceDecisions.Decide(state, Provision()));
        Assert.Equal(DomainErrorCode.ConcurrencyError, rejected.Error.Code);
    }

    [Fact]
    public void Provision_AfterDeprovisioned_StartsAnew()
    {
        var deprovisioning = Guid.NewGuid();
        var state = Given([.. Provisioned, new ServiceInstanceDeprovisioningRequested(InstanceId, deprovisioning, Now),
            new ServiceInstanceDeprovisioned(InstanceId, deprovisioning, Now)]);
        Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(state, Provision()));
    }

    [Fact]
    public void Deprovision_Unknown_IsGone()
    {
        var rejected = Assert.IsType<Decision.Rejected>(ServiceInstanceDecisions.Decide(ServiceInstance.Initial,
            new DeprovisionServiceInstance(InstanceId, Guid.NewGuid(), Now)));
        Assert.Equal(DomainErrorCode.Gone, rejected.Error.Code);
    }

    [Fact]
    public void Deprovision_Provisioned_RequestsDeprovisioning()
    {
        var operationId = Guid.NewGuid();
        var accepted = Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(Given(Provisioned),
            new DeprovisionServiceInstance(InstanceId, operationId, Now)));
        Assert.Equal(new ServiceInstanceDeprovisioningRequested(InstanceId, operationId, Now), Assert.Single(accepted.Events));
    }

    [Fact]
    public void Deprovision_WhileProvisioning_CancelsTheProvisioning()
    {
        var operationId = Guid.NewGuid();
        var accepted = Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(Given(Requested()),
            new DeprovisionServiceInstance(InstanceId, operationId, Now)));
        Assert.Equal([new ServiceInstanceProvisioningCancelled(InstanceId, FirstOperation, Now),
            new ServiceInstanceDeprovisioningRequested(InstanceId, operationId, Now)], accepted.Events);
    }

    [Fact]
    public void Deprovision_WhileUpdating_IsAConcurrencyError()
    {
        var state = Given([.. Provisioned, new ServiceInstanceUpdateRequested(InstanceId, Guid.NewGuid(), "small", """{"max_connections":90}""", null, 1024, Now)]);
        var rejected = Assert.IsType<Decision.Rejected>(ServiceInstanceDecisions.Decide(state, new DeprovisionServiceInstance(InstanceId, Guid.NewGuid(), Now)));
        Assert.Equal(DomainErrorCode.ConcurrencyError, rejected.Error.Code);
    }

    [Fact]
    public void Deprovision_Repeated_ReturnsTheRunningOperation()
    {
        var operationId = Guid.NewGuid();
        var state = Given([.. Provisioned, new ServiceInstanceDeprovisioningRequested(InstanceId, operationId, Now)]);
        var decision = ServiceInstanceDecisions.Decide(state, new DeprovisionServiceInstance(InstanceId, Guid.NewGuid(), Now));
        Assert.Equal(operationId, Assert.IsType<Decision.AlreadyInProgress>(decision).OperationId);
    }

    [Fact]
    public void Outcome_ForTheRunningOperation_IsRecorded()
    {
        var outcome = new StorageProvisioned(InstanceId, FirstOperation, "/data/x", 1024, Now);
        var accepted = Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(Given(Requested()), new RecordOperationOutcome(FirstOperation, outcome)));
        Assert.Same(outcome, Assert.Single(accepted.Events));
    }

    [Theory]
    [InlineData(ResourceKind.Storage)]
    [InlineData(ResourceKind.Server)]
    [InlineData(ResourceKind.Database)]
    public void Outcome_FailureOfAStepAfterItsSuccess_IsAlreadyDoneAndStartsNoRollback(ResourceKind resource)
    {
        // A re-sent step ran twice; the second run lost to the first (e.g. CREATE DATABASE of an existing database).
        var state = Given(Requested(),
            new StorageProvisioned(InstanceId, FirstOperation, "/data", 1024, Now),
            new ServerProvisioned(InstanceId, FirstOperation, "127.0.0.1", 56000, Now),
            new DatabaseProvisioned(InstanceId, FirstOperation, "service", "service_admin", "v1:secret", Now));
        var failure = new ResourceProvisioningFailed(InstanceId, FirstOperation, resource, "duplicate key value", Now);

        Assert.IsType<Decision.AlreadyDone>(ServiceInstanceDecisions.Decide(state, new RecordOperationOutcome(FirstOperation, failure)));
    }

    [Fact]
    public void Outcome_FailureOfAStepNotYetRecorded_IsAccepted()
    {
        var failure = new ResourceProvisioningFailed(InstanceId, FirstOperation, ResourceKind.Database, "disk full", Now);

        Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(Given(Requested()), new RecordOperationOutcome(FirstOperation, failure)));
    }

    [Fact]
    public void Outcome_Repeated_IsAlreadyDone()
    {
        var outcome = new StorageProvisioned(InstanceId, FirstOperation, "/data/x", 1024, Now);
        var state = Given(Requested(), outcome);
        Assert.IsType<Decision.AlreadyDone>(ServiceInstanceDecisions.Decide(state, new RecordOperationOutcome(FirstOperation, outcome)));
    }

    [Fact]
    public void Outcome_ForAnotherOperation_IsRefused()
    {
        var other = Guid.NewGuid();
        var outcome = new StorageProvisioned(InstanceId, other, "/data/x", 1024, Now);
        Assert.IsType<Decision.Rejected>(ServiceInstanceDecisions.Decide(Given(Requested()), new RecordOperationOutcome(other, outcome)));
    }

    [Fact]
    public void Outcome_SuccessWhileRollingBack_IsRefused()
    {
        var state = Given(Requested(), new ResourceProvisioningFailed(InstanceId, FirstOperation, ResourceKind.Server, "no port", Now));
        var late = new StorageProvisioned(InstanceId, FirstOperation, "/data/x", 1024, Now);
        Assert.IsType<Decision.Rejected>(ServiceInstanceDecisions.Decide(state, new RecordOperationOutcome(FirstOperation, late)));
        var cleanup = new StorageDeprovisioned(InstanceId, FirstOperation, Now);
        Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(state, new RecordOperationOutcome(FirstOperation, cleanup)));
    }

    [Fact]
    public void Outcome_TimeoutTwice_IsRecordedOnce()
    {
        var timedOut = new ServiceInstanceOperationTimedOut(InstanceId, FirstOperation, Now);
        var deprovisioning = Guid.NewGuid();
        var state = Given([.. Provisioned, new ServiceInstanceDeprovisioningRequested(InstanceId, deprovisioning, Now)]);
        var again = timedOut with { OperationId = deprovisioning };
        Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(state, new RecordOperationOutcome(deprovisioning, again)));
        var after = ServiceInstance.Evolve(state, again);
        Assert.IsType<Decision.AlreadyDone>(ServiceInstanceDecisions.Decide(after, new RecordOperationOutcome(deprovisioning, again)));
    }
}
