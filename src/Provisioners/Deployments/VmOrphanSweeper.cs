using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Deployments;
using EventSourced.Provisioners.Backends.Local;
using EventSourced.Provisioners.Hosts;
using EventSourced.Provisioners.Periodic;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Deployments;

/// <summary>
/// Seed 002's background task: every <see cref="DeploymentOptions.OrphanSweepInterval"/>, deletes this host's orphaned
/// VMs (and those of instances made before hosts) older than <see cref="DeploymentOptions.OrphanGracePeriod"/> and
/// records each deletion (<see cref="VmDeleted"/>, after it: a sweep that dies between the two deletes nothing twice, it
/// only records next time). The orphans are read from the log's view, not from the deploying worker's memory, so an
/// orphan whose worker died is swept by the next worker on its host. An orphan already gone counts as deleted; the VM
/// holding the instance's disk is never deleted; an instance with an operation in progress waits for it to end.
/// </summary>
public sealed class VmOrphanSweeper(
    OrphanedVmDirectory orphans, ServiceInstanceStore instances, LocalServerBackend servers, IOptions<DeploymentOptions> options,
    IOptions<WorkerHostOptions> host, TimeProvider clock, ILogger<VmOrphanSweeper> log)
    : PeriodicPass(options.Value.OrphanSweepInterval, clock, log, "Orphaned VM sweep")
{
    public override async Task Pass(CancellationToken ct)
    {
        var now = Clock.GetUtcNow();
        foreach (var orphan in await orphans.List(host: host.Value.Name, includingHostless: true, ct: ct))
        {
            if (orphan.OrphanedAt + options.Value.OrphanGracePeriod > now) continue;
            var state = (await instances.Load(orphan.InstanceId, ct)).State;
            if (!state.OrphanedVms.Any(o => o.Vm == orphan.Vm) || state.Busy) continue;
            if (!LocalDeploymentBackend.DeleteOrphan(servers, state.Id, orphan.Vm, InstanceDeployer.CurrentVmOf(state)))
            {
                log.LogWarning("Orphaned VM {Vm} of instance {InstanceId} holds the instance's disk: it is not deleted", orphan.Vm, state.Id);
                continue;
            }
            await instances.Handle(state.Id, s => VmOrphanDecisions.Decide(s, new RecordVmDeleted(orphan.Vm, Clock.GetUtcNow())),
                new EventMetadata(orphan.OperationId), null, ct);
            log.LogInformation("Orphaned VM {Vm} of instance {InstanceId} (orphaned {OrphanedAt:u}) deleted", orphan.Vm, state.Id, orphan.OrphanedAt);
        }
    }
}
