using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Tests.ServiceInstances;

public sealed class UpdateDecisionsTests
{
    private static readonly Guid InstanceId = Guid.NewGuid();
    private static readonly Guid FirstOperation = Guid.NewGuid();
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static ServiceInstance Provisioned(string? parameters = """{"max_connections":50}""") => ServiceInstance.Fold(new IDomainEvent[]
    {
        new ServiceInstanceProvisioningRequested(InstanceId, FirstOperation, "pg", "small", "org", "space", parameters, """{"space_name":"a"}""", 1024, Now, "1.0.0"),
        new ServiceInstanceProvisioned(InstanceId, FirstOperation, Now),
    });

    private static UpdateServiceInstance Update(string? planId = null, string? parameters = null, string? context = null,
        string? maintenance = null, bool planChangeAllowed = true) =>
        new(InstanceId, Guid.NewGuid(), planId, parameters, context, maintenance, planId == "large" ? 10240 : 1024,
            (_, _) => planChangeAllowed, Now);

    [Fact]
    public void Update_Nothing_IsAlreadyDone() =>
        Assert.IsType<Decision.AlreadyDone>(ServiceInstanceDecisions.Decide(Provisioned(), Update(parameters: """{"max_connections":50}""")));

    [Fact]
    public void Update_Parameters_AreMergedIntoTheCurrentOnes()
    {
        var state = Provisioned("""{"max_connections":50,"other":1}""");
        var accepted = Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(state, Update(parameters: """{"max_connections":90,"other":null}""")));
        var requested = Assert.IsType<ServiceInstanceUpdateRequested>(Assert.Single(accepted.Events));
        Assert.Equal(("small", """{"max_connections":90}""", 1024), (requested.PlanId, requested.Parameters, requested.DiskMb));
    }

    [Fact]
    public void Update_Plan_TakesTheNewPlansDisk()
    {
        var accepted = Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(Provisioned(), Update(planId: "large")));
        var requested = Assert.IsType<ServiceInstanceUpdateRequested>(Assert.Single(accepted.Events));
        Assert.Equal(("large", 10240), (requested.PlanId, requested.DiskMb));
    }

    [Fact]
    public void Update_PlanChangeNotAllowed_IsInvalid()
    {
        var rejected = Assert.IsType<Decision.Rejected>(ServiceInstanceDecisions.Decide(Provisioned(), Update(planId: "large", planChangeAllowed: false)));
        Assert.Equal(DomainErrorCode.Invalid, rejected.Error.Code);
    }

    [Fact]
    public void Update_ContextOnly_IsRecordedWithoutAnOperation()
    {
        var accepted = Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(Provisioned(), Update(context: """{"space_name":"b"}""")));
        Assert.IsType<ServiceInstanceContextUpdated>(Assert.Single(accepted.Events));
    }

    [Fact]
    public void Update_WhileAnotherOperationRuns_IsAConcurrencyError()
    {
        var state = ServiceInstance.Evolve(Provisioned(), new ServiceInstanceUpdateRequested(InstanceId, Guid.NewGuid(), "small", null, null, 1024, Now));
        var rejected = Assert.IsType<Decision.Rejected>(ServiceInstanceDecisions.Decide(state, Update(planId: "large")));
        Assert.Equal(DomainErrorCode.ConcurrencyError, rejected.Error.Code);
    }

    [Fact]
    public void Update_Succeeded_AppliesThePendingPlanAndParameters()
    {
        var operation = Guid.NewGuid();
        var state = ServiceInstance.Evolve(Provisioned(), new ServiceInstanceUpdateRequested(InstanceId, operation, "large", """{"max_connections":90}""", "1.1.0", 10240, Now));
        Assert.Equal("small", state.PlanId);
        state = ServiceInstance.Evolve(state, new ServiceInstanceUpdated(InstanceId, operation, Now));
        Assert.Equal(("large", """{"max_connections":90}""", "1.1.0", 10240, (PendingUpdate?)null),
            (state.PlanId, state.Parameters, state.MaintenanceVersion, state.DiskMb, state.Pending));
    }

    [Fact]
    public void Update_Failed_KeepsTheInstanceAsItWas()
    {
        var operation = Guid.NewGuid();
        var state = ServiceInstance.Evolve(Provisioned(), new ServiceInstanceUpdateRequested(InstanceId, operation, "large", null, null, 10240, Now));
        state = ServiceInstance.Evolve(state, new ServiceInstanceUpdateFailed(InstanceId, operation, "restart failed", Now));
        Assert.Equal(("small", InstanceStatus.Provisioned, OperationState.Failed), (state.PlanId, state.Status, state.LastOperation!.State));
    }
}
