using EventSourced.Commands.EventStore;
using EventSourced.Commands.Hosts;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>
/// Scheduled backups were switched on (or their schedule or retention changed) by the <c>backup</c> parameter of a provision
/// or an update: from now on every slot of <paramref name="Schedule"/> (a 5-field cron, UTC) after <paramref name="SetAt"/>
/// is backed up once, and only the newest <paramref name="Retain"/> completed backups are kept.
/// </summary>
public sealed record BackupScheduleSet(Guid InstanceId, string Schedule, int Retain, DateTimeOffset SetAt) : IDomainEvent;

/// <summary>
/// Scheduled backups were switched off: no new slot is taken; the backups made so far stay (still trimmed to
/// <paramref name="Retain"/> when a backup is taken by hand) until retention or the instance's deprovisioning removes them.
/// </summary>
public sealed record BackupScheduleCleared(Guid InstanceId, int Retain, DateTimeOffset ClearedAt) : IDomainEvent;

/// <summary>
/// A backup of the instance's database began: an operation of the instance like an export (nothing else of it runs
/// meanwhile), carried out on its host. <paramref name="ScheduledFor"/> is the schedule's slot it takes (null: taken by an
/// operator), recorded so that no slot is ever backed up twice, by two workers or after a restart.
/// </summary>
public sealed record BackupStarted(
    Guid InstanceId, Guid OperationId, Guid BackupId, DateTimeOffset? ScheduledFor, DateTimeOffset StartedAt,
    DateTimeOffset? DeadlineAt = null, string? Host = null) : IDomainEvent, IRunsOnHost;

/// <summary>The backup's archive is complete in the instance's storage (<c>&lt;storage&gt;/backups/</c>): its path, size and SHA-256.</summary>
public sealed record BackupCompleted(
    Guid InstanceId, Guid OperationId, Guid BackupId, string Path, long SizeBytes, string Sha256, string SoftwareVersion,
    DateTimeOffset CompletedAt, string? Host = null) : IDomainEvent;

public sealed record BackupFailed(Guid InstanceId, Guid OperationId, string Reason, DateTimeOffset FailedAt) : IDomainEvent;

/// <summary>Retention removed the backup's archive (more than the retained number of newer backups exist). Not part of any operation.</summary>
public sealed record BackupRemoved(Guid InstanceId, Guid BackupId, DateTimeOffset RemovedAt) : IDomainEvent;

/// <summary>
/// A restore in place of a completed backup into the instance's own database was asked for: an operation of the instance,
/// carried out on its host (one transaction: a restore that fails leaves the database as it was).
/// </summary>
public sealed record BackupRestoreRequested(
    Guid InstanceId, Guid OperationId, Guid BackupId, DateTimeOffset RequestedAt, DateTimeOffset? DeadlineAt = null, string? Host = null)
    : IDomainEvent, IRunsOnHost;

public sealed record BackupRestored(Guid InstanceId, Guid OperationId, Guid BackupId, DateTimeOffset RestoredAt) : IDomainEvent;

public sealed record BackupRestoreFailed(Guid InstanceId, Guid OperationId, string Reason, DateTimeOffset FailedAt) : IDomainEvent;
