using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Deployments.Execution;
using EventSourced.Provisioners.Backends;

namespace EventSourced.Provisioners.Deployments;

/// <summary>
/// The orphans of one instance's deploy, put on the instance's stream (<see cref="VmOrphaned"/>, on the instance's host):
/// from there <see cref="VmOrphanSweeper"/> on that host deletes them once the grace period ran out, whichever worker
/// is alive then. A deploy that deletes one itself (a group waiting for its surge slot) records <see cref="VmDeleted"/>.
/// </summary>
public sealed class RecordedOrphans(ServiceInstanceStore instances, Guid instanceId, Guid operationId, string? host, TimeProvider clock)
    : IOrphanKeeper
{
    public async Task Orphaned(string vm, string instance, CancellationToken cancellation)
    {
        if (await instances.Handle(instanceId, s => VmOrphanDecisions.Decide(s, new RecordVmOrphaned(operationId, vm, host, clock.GetUtcNow())),
                new EventMetadata(operationId), null, cancellation) is Decision.Rejected rejected)
            throw new BackendException($"the orphaned VM {vm} was not recorded: {rejected.Error.Description}");
    }

    public Task Deleted(string vm, CancellationToken cancellation) =>
        instances.Handle(instanceId, s => VmOrphanDecisions.Decide(s, new RecordVmDeleted(vm, clock.GetUtcNow())),
            new EventMetadata(operationId), null, cancellation);
}
