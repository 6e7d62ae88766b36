using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Tests.ServiceInstances;

/// <summary>
/// A provisioning the deployment engine runs: its plan and steps are the provisioning's progress ("Creating …"), and
/// once it ends the deploy is over (no deployment left in progress for the next operation to mistake for its own), the
/// instance on the VM the deploy started it on.
/// </summary>
public sealed class ProvisioningDeployTests
{
    private static readonly Guid InstanceId = Guid.NewGuid();
    private static readonly Guid Provisioning = Guid.NewGuid();
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);

    private static IEnumerable<IDomainEvent> Deployed() =>
    [
        new ServiceInstanceProvisioningRequested(InstanceId, Provisioning, "pg", "small", "org", "space", null, null, 1024, Now, Host: "host-a"),
        new StorageProvisioned(InstanceId, Provisioning, "/data/x", 1024, Now),
        new DeploymentPlanned(InstanceId, Provisioning, "pg-x", ["postgres/0 create (new in local)"], "{}", Now),
        new DeploymentStepCompleted(InstanceId, Provisioning, "postgres/0", "create VM", "postgres/0#0", 0.01, Now),
        new DeploymentStepCompleted(InstanceId, Provisioning, "postgres/0", "start", "postgres/0#0", 1.5, Now),
    ];

    [Fact]
    public void EachStep_IsTheProvisioningsProgress()
    {
        var state = ServiceInstance.Fold(Deployed());

        Assert.Equal("Creating 1 of 1 instance: postgres/0 start done", state.LastOperation!.Description);
        Assert.Equal(Provisioning, state.Deployment!.OperationId);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheProvisioningsEnd_EndsItsDeploy(bool succeeded)
    {
        IDomainEvent end = succeeded
            ? new ServiceInstanceProvisioned(InstanceId, Provisioning, Now)
            : new ServiceInstanceProvisioningFailed(InstanceId, Provisioning, "postgres/0 failed in step 'start': no", Now);
        var state = ServiceInstance.Fold(Deployed().Append(new ServerProvisioned(InstanceId, Provisioning, "127.0.0.1", 56001, Now)).Append(end));

        Assert.Null(state.Deployment);
        Assert.Equal(succeeded ? "postgres/0#0" : null, state.Vm);
        Assert.Equal(succeeded ? InstanceStatus.Provisioned : InstanceStatus.ProvisioningFailed, state.Status);
    }

    [Fact]
    public void AProvisioningRolledBack_TakesNoMoreOfItsDeploy_AndWantsNothingItMakesLate()
    {
        var state = ServiceInstance.Fold(Deployed().Append(new ServiceInstanceOperationTimedOut(InstanceId, Provisioning, Now)));

        var step = DeploymentDecisions.Decide(state, new RecordDeploymentStep(Provisioning, "postgres/0", "post-start", "postgres/0#0", 0.1, Now));
        var plan = DeploymentDecisions.Decide(state, new RecordDeploymentPlanned(Provisioning, "pg-x", [], "{}", Now));

        Assert.Contains("being rolled back", Assert.IsType<Decision.Rejected>(step).Error.Description);
        Assert.IsType<Decision.Rejected>(plan);
        Assert.True(state.NoLongerWants(Provisioning));
        Assert.False(ServiceInstance.Fold(Deployed()).NoLongerWants(Provisioning));
    }
}
