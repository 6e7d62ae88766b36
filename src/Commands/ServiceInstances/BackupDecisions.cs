namespace EventSourced.Commands.ServiceInstances;

/// <summary>
/// A backup of the instance now: by an operator (<paramref name="ScheduledFor"/> null) or by a worker's scheduler for the
/// schedule's slot it found due.
/// </summary>
public sealed record TakeBackup(
    Guid InstanceId, Guid OperationId, Guid BackupId, DateTimeOffset? ScheduledFor, DateTimeOffset Now, DateTimeOffset? DeadlineAt = null);

/// <summary>The instance's own database restored in place from one of its kept backups.</summary>
public sealed record RestoreBackup(Guid InstanceId, Guid OperationId, Guid BackupId, DateTimeOffset Now, DateTimeOffset? DeadlineAt = null);

/// <summary>Retention removed a kept backup's archive (deleted before this is recorded).</summary>
public sealed record RecordBackupRemoved(Guid BackupId, DateTimeOffset Now);

/// <summary>
/// The rules of an instance's backups. A backup and a restore are operations of the instance (as an export is): refused
/// while anything else of it runs, and nothing else runs beside them. A schedule's slot is taken once: the decision on the
/// instance's stream is what two workers' schedulers, or one after a restart, race for, and the loser finds it taken.
/// </summary>
public static class BackupDecisions
{
    public static Decision Decide(ServiceInstance state, TakeBackup command)
    {
        if (command.ScheduledFor is { } slot)
        {
            // The slot is no longer (or not) to be taken: already taken by another worker, or the schedule was switched off.
            if (!state.Backups.Enabled || state.Backups.LastSlot >= slot || !state.Exists) return new Decision.AlreadyDone();
        }
        if (ServiceInstanceDecisions.Usable(state, command.InstanceId) is { } refused) return refused;
        if (Unsupported(state) is { } unsupported) return unsupported;
        return new Decision.Accepted(command.OperationId, [
            new BackupStarted(state.Id, command.OperationId, command.BackupId, command.ScheduledFor, command.Now, command.DeadlineAt, state.Host),
        ]);
    }

    public static Decision Decide(ServiceInstance state, RestoreBackup command)
    {
        if (!state.Exists) return Decision.Reject(DomainErrorCode.NotFound, $"Service instance {command.InstanceId} does not exist.");
        if (!state.Backups.Kept.Any(b => b.BackupId == command.BackupId))
            return Decision.Reject(DomainErrorCode.NotFound, $"Service instance {state.Id} has no backup {command.BackupId} (never completed, removed, or another instance's).");
        if (ServiceInstanceDecisions.Usable(state, command.InstanceId) is { } refused) return refused;
        return new Decision.Accepted(command.OperationId, [
            new BackupRestoreRequested(state.Id, command.OperationId, command.BackupId, command.Now, command.DeadlineAt, state.Host),
        ]);
    }

    /// <summary>Recorded once; a backup the instance does not keep (removed already, or another life's) changes nothing.</summary>
    public static Decision Decide(ServiceInstance state, RecordBackupRemoved command) =>
        state.Backups.Kept.FirstOrDefault(b => b.BackupId == command.BackupId) is { } kept
            ? new Decision.Accepted(kept.OperationId, [new BackupRemoved(state.Id, command.BackupId, command.Now)])
            : new Decision.AlreadyDone();

    /// <summary>Backups are of a dedicated server's database: a cluster's databases and a cluster itself are not backed up yet.</summary>
    public static Decision? Unsupported(ServiceInstance state) => state.Shape is InstanceShape.Dedicated
        ? null
        : Decision.Reject(DomainErrorCode.Unprocessable, $"Service instance {state.Id} is a {state.Shape}: backups are of dedicated instances only.");
}
