using EventSourced.Commands.Catalog;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Backups;
using EventSourced.Provisioners.Hosts;
using EventSourced.Provisioners.Periodic;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Backups;

/// <summary>
/// Each worker's pass over the instances with backup work due (read from <see cref="BackupSchedules"/>, so a pass reads
/// the due rows only): for each whose schedule has a slot due, a <see cref="BackupStarted"/> for that slot is decided on
/// the instance's stream, at the version it read. Every worker runs it; the stream lets one of them take the slot and
/// tells the others it is taken, also after a restart (the slot is recorded). An instance busy with another operation is
/// passed over until it is idle (its slot stays due until a newer one comes). Retention is applied to the instances with
/// backups to tidy on this host (beyond a retain lowered by an update or reached by a new backup, a removal a killed worker
/// did not record, a backup failed lately that may have left a half-written archive).
/// </summary>
public sealed class BackupScheduler(
    BackupSchedules schedules, ServiceInstanceStore instances, BackupRetention retention, IServiceProvider services, IOptions<BackupOptions> options,
    IOptions<WorkerHostOptions> host, TimeProvider clock, ILogger<BackupScheduler> log) : PeriodicPass(options.Value.SchedulerInterval, clock, log, "Backup scheduler pass")
{
    /// <summary>Who starts scheduled backups, as the requester of their jobs and dfe events.</summary>
    public static readonly string OriginatingIdentity =
        $"backup-scheduler {Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("{\"user_id\":\"backup-scheduler\"}"))}";

    public override async Task Pass(CancellationToken ct)
    {
        foreach (var (instanceId, slotDue, tidy) in await schedules.Due(Clock.GetUtcNow(), host.Value.Name, ct))
        {
            try
            {
                if (tidy) await retention.Apply(instanceId, ct);
                if (slotDue) await TakeDueSlot(instanceId, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Scheduled backup of instance {InstanceId} not started this pass; trying again next pass", instanceId);
            }
        }
    }

    private async Task TakeDueSlot(Guid instanceId, CancellationToken ct)
    {
        var now = Clock.GetUtcNow();
        var (state, _) = await instances.Load(instanceId, ct);
        if (state.Status != InstanceStatus.Provisioned || state.Busy || state.Backups.DueSlot(now) is not { } slot) return;
        var (operationId, backupId) = (Guid.CreateVersion7(), Guid.NewGuid());
        var deadline = services.GetService<ServiceCatalog>()?.FindPlan(state.ServiceId, state.PlanId)?.DeadlineFrom(now);
        var decision = await instances.Handle(instanceId,
            current => BackupDecisions.Decide(current, new TakeBackup(instanceId, operationId, backupId, slot, now, deadline)),
            new EventMetadata(operationId, OriginatingIdentity: OriginatingIdentity), ct: ct);
        if (decision is Decision.Accepted)
            log.LogInformation("Backup {BackupId} of instance {InstanceId} started for its slot {Slot:u}", backupId, instanceId, slot);
    }
}
