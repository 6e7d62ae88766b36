using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.ServiceInstances;
using EventSourced.Projections.Streams;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using Weasel.Postgresql.Tables;

namespace EventSourced.Projections.Backups;

/// <summary>An instance the backup scheduler has work for: a slot due, or backups to tidy (on the host asking).</summary>
public sealed record BackupWork(Guid InstanceId, bool SlotDue, bool Tidy);

/// <summary>
/// The instances a backup schedule was ever set for, each with its next slot and whether it has backups to tidy, so each
/// worker's scheduler pass reads only the instances with work due instead of every schedule ever set. <b>Inline</b>: a
/// schedule set, a slot taken, a backup completed is in its row with the append. Only the events that change a row load
/// their stream; a deprovisioned instance's row goes.
/// </summary>
public sealed class BackupSchedules(NpgsqlDataSource dataSource, IOptions<EventStoreOptions> options)
    : StreamView(ProjectionName, ProjectionLifecycle.Inline, ServiceInstance.StreamPrefix, options.Value.Schema, "backup_schedules")
{
    public const string ProjectionName = "backup-schedules";

    /// <summary>How long after a backup failed its instance's folder is looked at for what a killed run left half-written.</summary>
    public static readonly TimeSpan TidyAfterFailureFor = TimeSpan.FromHours(1);

    /// <summary>Rows only for instances that ever had a schedule and are not deprovisioned.</summary>
    public override bool RowPerStream => false;

    protected override void DefineColumns(Table t)
    {
        t.AddColumn<Guid>("instance_id").AsPrimaryKey();
        t.AddColumn<long>("version").NotNull();
        t.AddColumn<string>("status").NotNull();
        t.AddColumn<string>("host");
        t.AddColumn("next_slot", "timestamptz");
        t.AddColumn<bool>("beyond_retention").NotNull();
        t.AddColumn("backup_failed_at", "timestamptz");
        var provisioned = $"status = '{InstanceStatus.Provisioned}'";
        t.Indexes.Add(new IndexDefinition("backup_schedules_next_slot") { Columns = ["next_slot"], Predicate = provisioned });
        t.Indexes.Add(new IndexDefinition("backup_schedules_failed") { Columns = ["backup_failed_at"], Predicate = provisioned });
        t.Indexes.Add(new IndexDefinition("backup_schedules_beyond_retention") { Columns = ["instance_id"], Predicate = $"{provisioned} AND beyond_retention" });
    }

    // The schedule, the slots taken, the backups kept, and the status and host the scheduler filters by.
    protected override bool Concerns(IEvent appended) => appended.Data is BackupScheduleSet or BackupScheduleCleared or BackupStarted
        or BackupCompleted or BackupFailed or BackupRemoved or ServiceInstanceProvisioningRequested or StorageProvisioned
        or ServiceInstanceProvisioned or ServiceInstanceProvisioningFailed or ServiceInstanceDeprovisioningRequested
        or ServiceInstanceDeprovisioned or ServiceInstanceDeprovisioningFailed;

    public override void Write(IDocumentOperations operations, IReadOnlyDictionary<string, IReadOnlyList<IEvent>> streams, bool replace = false)
    {
        var scheduled = streams.Where(s => s.Value.Any(e => e.Data is BackupScheduleSet)).ToDictionary();
        if (scheduled.Count == 0) return;
        var folded = FoldedInstances.Of(scheduled);
        var rows = folded.Where(r => r.State.Status != InstanceStatus.Deprovisioned).ToList();
        if (rows.Count > 0)
            operations.QueueSqlCommand($"""
                INSERT INTO {QualifiedTable} AS b (instance_id, version, status, host, next_slot, beyond_retention, backup_failed_at)
                SELECT * FROM unnest(?::uuid[], ?::bigint[], ?::text[], ?::text[], ?::timestamptz[], ?::boolean[], ?::timestamptz[])
                ON CONFLICT (instance_id) DO UPDATE SET version = excluded.version, status = excluded.status, host = excluded.host,
                    next_slot = excluded.next_slot, beyond_retention = excluded.beyond_retention, backup_failed_at = excluded.backup_failed_at
                {Guard("b", replace)}
                """,
                rows.Select(r => r.State.Id).ToArray(), rows.Select(r => r.Version).ToArray(),
                rows.Select(r => r.State.Status.ToString()).ToArray(), rows.Select(r => r.State.Host).ToArray(),
                rows.Select(r => r.State.Backups.NextSlot()).ToArray(),
                rows.Select(r => r.State.Backups.BeyondRetention.Count > 0).ToArray(),
                rows.Select(r => BackupFailedAt(r.State)).ToArray());
        QueueRemoval(operations, folded.Where(r => r.State.Status == InstanceStatus.Deprovisioned).Select(r => (r.State.Id, r.Version)).ToList(), replace);
    }

    /// <summary>
    /// The provisioned instances with backup work at <paramref name="now"/>: a slot due (any worker may take it), or, on
    /// <paramref name="host"/> (or with no host), backups beyond retention or a backup failed within
    /// <see cref="TidyAfterFailureFor"/> (its half-written archive to remove).
    /// </summary>
    public async Task<IReadOnlyList<BackupWork>> Due(DateTimeOffset now, string host, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT instance_id, coalesce(next_slot <= $1, false) AS slot_due,
                   coalesce((host IS NULL OR host = $2) AND (beyond_retention OR backup_failed_at > $1 - $3), false) AS tidy
            FROM {QualifiedTable}
            WHERE status = '{InstanceStatus.Provisioned}'
              AND (next_slot <= $1 OR ((beyond_retention OR backup_failed_at > $1 - $3) AND (host IS NULL OR host = $2)))
            ORDER BY instance_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = host });
        command.Parameters.Add(new NpgsqlParameter { Value = TidyAfterFailureFor });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var due = new List<BackupWork>();
        while (await reader.ReadAsync(ct)) due.Add(new BackupWork(reader.GetGuid(0), reader.GetBoolean(1), reader.GetBoolean(2)));
        return due;
    }

    private static DateTimeOffset? BackupFailedAt(ServiceInstance state) =>
        state.Operations.LastOrDefault(o => o.Kind == OperationKind.Backup) is { State: OperationState.Failed, FinishedAt: { } at } ? at : null;
}
