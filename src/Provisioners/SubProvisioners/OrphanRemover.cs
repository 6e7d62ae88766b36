using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using MassTransit;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>
/// Removes what a step created after its operation no longer wanted it, driven by the recorded
/// <see cref="OrphanedResourceFound"/>: a removal that throws is retried (and, retries spent, waits in the error queue to
/// be re-driven), a broker that dies first gets the event again. An orphan is keyed by its operation: when the
/// instance's current life holds a resource of that kind again (a later provisioning recorded it), it is kept.
/// </summary>
public sealed class OrphanRemover(
    ProvisionerBackends backends, ServiceInstanceStore instances, OutcomeRecorder recorder)
    : IConsumer<OrphanedResourceFound>
{
    public async Task Consume(ConsumeContext<OrphanedResourceFound> context)
    {
        var (instanceId, operationId, resource, _) = context.Message;
        var ct = context.CancellationToken;
        var (state, _) = await instances.Load(instanceId, ct);
        if (!state.Orphans.Contains(new Orphan(operationId, resource))) return;
        var kept = state.Holds(resource);
        if (!kept) await Remove(state, resource, ct);
        await instances.Handle(instanceId,
            current => ServiceInstanceDecisions.Decide(current, new RecordOrphanRemoved(operationId, resource, kept, recorder.Now)),
            new EventMetadata(operationId, context.MessageId), ct: ct);
    }

    private Task Remove(ServiceInstance instance, ResourceKind resource, CancellationToken ct) => resource switch
    {
        ResourceKind.Storage => backends.StorageOf(instance.ServiceId).Deprovision(instance.Id, ct),
        ResourceKind.Server => backends.ServerOf(instance.ServiceId).Deprovision(instance.Id, ct),
        _ => DatabasePlacement.Of(instance) is var placement
            ? backends.DatabaseOf(instance.ServiceId).Deprovision(placement.ServerInstanceId, placement.Database, placement.Owner, placement.ServerStays, ct)
            : Task.CompletedTask,
    };
}
