using EventSourced.Commands.Clusters;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using MassTransit;

namespace EventSourced.Provisioners.Clusters;

/// <summary>
/// Detaches a cluster's database from its cluster once its life ended — deprovisioned, or its provisioning failed (and
/// was rolled back) — so the cluster can be deleted once it has none. Driven by the recorded end, delivered at least
/// once; a detach names the life it ends, so a late one never detaches the database's next life.
/// </summary>
public sealed class ChildDetacher(ServiceInstanceStore instances, ClusterStore clusters, TimeProvider clock)
    : IConsumer<ServiceInstanceDeprovisioned>, IConsumer<ServiceInstanceProvisioningFailed>
{
    public Task Consume(ConsumeContext<ServiceInstanceDeprovisioned> context) =>
        Detach(context, context.Message.InstanceId, context.Message.OperationId);

    public Task Consume(ConsumeContext<ServiceInstanceProvisioningFailed> context) =>
        Detach(context, context.Message.InstanceId, context.Message.OperationId);

    private async Task Detach(ConsumeContext context, Guid instanceId, Guid endingOperationId)
    {
        var (child, _) = await instances.Load(instanceId, context.CancellationToken);
        if (child.Shape != InstanceShape.ClusterDatabase || child.ClusterId is not { } clusterId) return;
        if (child.ProvisioningOf(endingOperationId) is not { } life) return;
        await clusters.Detach(new DetachChild(clusterId, instanceId, life, clock.GetUtcNow()),
            new EventMetadata(endingOperationId, context.MessageId), context.CancellationToken);
    }
}
