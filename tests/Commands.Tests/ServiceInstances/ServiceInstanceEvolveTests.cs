using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Tests.ServiceInstances;

public sealed class ServiceInstanceEvolveTests
{
    private static readonly Guid InstanceId = Guid.NewGuid();
    private static readonly Guid Operation = Guid.NewGuid();
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Provisioning_ThroughEverySubProvisioner_EndsProvisionedWithResources()
    {
        var state = ServiceInstance.Fold([
            new ServiceInstanceProvisioningRequested(InstanceId, Operation, "pg", "small", "org", "space", null, null, 1024, Now),
            new StorageProvisioned(InstanceId, Operation, "/data/x", 1024, Now),
            new ServerProvisioned(InstanceId, Operation, "127.0.0.1", 56001, Now),
            new DatabaseProvisioned(InstanceId, Operation, "service", "service_admin", "v1:x", Now),
            new ServiceInstanceProvisioned(InstanceId, Operation, Now.AddSeconds(3)),
        ]);
        Assert.Equal(InstanceStatus.Provisioned, state.Status);
        Assert.Equal(new ServerInfo("127.0.0.1", 56001), state.Server);
        Assert.Equal(new DatabaseInfo("service", "service_admin", "v1:x"), state.Database);
        var op = Assert.Single(state.Operations);
        Assert.Equal((OperationState.Succeeded, Now.AddSeconds(3)), (op.State, op.FinishedAt));
    }

    [Fact]
    public void FailedProvisioning_KeepsTheReasonAsDescription()
    {
        var state = ServiceInstance.Fold([
            new ServiceInstanceProvisioningRequested(InstanceId, Operation, "pg", "small", "org", "space", null, null, 1024, Now),
            new ResourceProvisioningFailed(InstanceId, Operation, ResourceKind.Server, "no free port", Now),
            new ServiceInstanceProvisioningFailed(InstanceId, Operation, "Server provisioning failed: no free port", Now),
        ]);
        Assert.Equal(InstanceStatus.ProvisioningFailed, state.Status);
        Assert.Equal((OperationState.Failed, "Server provisioning failed: no free port"), (state.LastOperation!.State, state.LastOperation.Description));
    }

    [Fact]
    public void Deprovisioning_KeepsEveryOperationInHistory()
    {
        var deprovisioning = Guid.NewGuid();
        var state = ServiceInstance.Fold([
            new ServiceInstanceProvisioningRequested(InstanceId, Operation, "pg", "small", "org", "space", null, null, 1024, Now),
            new ServiceInstanceProvisioned(InstanceId, Operation, Now),
            new ServiceInstanceDeprovisioningRequested(InstanceId, deprovisioning, Now),
            new ServiceInstanceDeprovisioned(InstanceId, deprovisioning, Now),
        ]);
        Assert.Equal(InstanceStatus.Deprovisioned, state.Status);
        Assert.Equal([Operation, deprovisioning], state.Operations.Select(o => o.Id));
        Assert.False(state.Exists);
    }
}
