using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Hosts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Backups;

/// <summary>
/// Keeps the newest <c>retain</c> completed backups of an instance: older archives are deleted, then
/// <see cref="BackupRemoved"/> is recorded (a run that dies between the two finds the file gone next time and only records).
/// Only on the instance's host, whose disk holds them; never while a restore of the instance runs. Also removes what a
/// backup killed mid-write left (its half-written archive), once nothing has written to it for a minute.
/// </summary>
public sealed class BackupRetention(ServiceInstanceStore instances, IOptions<WorkerHostOptions> host, TimeProvider clock, ILogger<BackupRetention> log)
{
    public async Task Apply(Guid instanceId, CancellationToken ct)
    {
        var (state, _) = await instances.Load(instanceId, ct);
        if (state.Status != InstanceStatus.Provisioned || (state.Host is { } owner && owner != host.Value.Name)) return;
        if (state.LastOperation is { Kind: OperationKind.Restore, InProgress: true }) return;
        if (state.Storage is not null) BackupLocation.RemoveAbandonedPartials(BackupLocation.DirectoryOf(state), clock.GetUtcNow());
        foreach (var backup in state.Backups.BeyondRetention)
        {
            if (BackupLocation.Holds(state, backup.Path) && File.Exists(backup.Path)) File.Delete(backup.Path);
            var decision = await instances.Handle(instanceId, s => BackupDecisions.Decide(s, new RecordBackupRemoved(backup.BackupId, clock.GetUtcNow())),
                new EventMetadata(backup.OperationId), ct: ct);
            if (decision is Decision.Accepted)
                log.LogInformation("Backup {BackupId} of instance {InstanceId} removed: more than {Retain} newer backups are kept",
                    backup.BackupId, instanceId, state.Backups.Retain);
        }
    }
}
