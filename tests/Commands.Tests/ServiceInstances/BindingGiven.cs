using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Tests.ServiceInstances;

/// <summary>Instances and bindings folded from their events, for the binding rules' tests.</summary>
public static class BindingGiven
{
    public static readonly Guid InstanceId = Guid.NewGuid();
    public static readonly Guid OtherInstanceId = Guid.NewGuid();
    public static readonly Guid BindingId = Guid.NewGuid();
    public static readonly Guid Provisioning = Guid.NewGuid();
    public static readonly Guid BindOperation = Guid.NewGuid();
    public static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    public static ServiceInstance ProvisionedInstance(params IDomainEvent[] later) => ServiceInstance.Fold([
        new ServiceInstanceProvisioningRequested(InstanceId, Provisioning, "pg", "small", "org", "space", null, null, 1024, Now),
        new ServiceInstanceProvisioned(InstanceId, Provisioning, Now),
        .. later,
    ]);

    public static ServiceInstance DeprovisionedInstance()
    {
        var deprovisioning = Guid.NewGuid();
        return ProvisionedInstance(
            new ServiceInstanceDeprovisioningRequested(InstanceId, deprovisioning, Now),
            new ServiceInstanceDeprovisioned(InstanceId, deprovisioning, Now));
    }

    public static ServiceBindingRequested Requested(Guid? bindingId = null, Guid? instanceId = null, Guid? predecessor = null) =>
        new(instanceId ?? InstanceId, bindingId ?? BindingId, BindOperation, "app", null, null, predecessor, Now);

    public static ServiceBindingCreated Created(Guid? bindingId = null, Guid? instanceId = null) =>
        new(instanceId ?? InstanceId, bindingId ?? BindingId, BindOperation, "binding_x", "v1:secret", Now);

    public static ServiceBinding Binding(params IDomainEvent[] events) => ServiceBinding.Fold(events)!;

    public static ServiceBinding CreatedBinding(Guid? bindingId = null, Guid? instanceId = null) =>
        Binding(Requested(bindingId, instanceId), Created(bindingId, instanceId));
}
