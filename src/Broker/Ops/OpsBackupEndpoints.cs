using EventSourced.Commands.Catalog;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Ops;

/// <summary>The 202 of a backup or a restore job: the job to poll and the backup it makes or restores.</summary>
public sealed record BackupAccepted(Guid JobId, Guid InstanceId, string Kind, Guid BackupId);

/// <summary>
/// The instance's backup schedule as recorded: whether it is on, its cron (UTC), how many backups are kept, the latest slot
/// taken and the next one due (null while backups are off).
/// </summary>
public sealed record BackupScheduleView(bool Enabled, string? Schedule, int? Retain, DateTimeOffset? LastSlot, DateTimeOffset? NextAt);

/// <summary>
/// One backup of the instance: <see cref="State"/> is <c>in progress</c>, <c>succeeded</c>, <c>failed</c> or <c>removed</c>
/// (by retention); <see cref="ScheduledFor"/> is the schedule's slot it took (null: taken by an operator).
/// </summary>
public sealed record BackupView(
    Guid BackupId, Guid JobId, string State, DateTimeOffset? ScheduledFor, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt,
    long? SizeBytes, string? Sha256, string? SoftwareVersion, string? Error, DateTimeOffset? RemovedAt);

/// <summary><c>GET /api/v1/ops/instances/{id}/backups</c>: the schedule, and the backups of the instance's current life, oldest first.</summary>
public sealed record BackupListView(Guid InstanceId, BackupScheduleView Schedule, IReadOnlyList<BackupView> Backups);

/// <summary>
/// An instance's backups for operators: the list, a backup now, a restore in place. A backup and a restore are jobs (the
/// instance's operations, polled with <c>GET /api/v1/ops/jobs/{jobId}</c>), refused (409) while another job of the instance runs.
/// </summary>
public static class OpsBackupEndpoints
{
    public static RouteGroupBuilder MapOpsBackups(this RouteGroupBuilder ops)
    {
        ops.MapGet("/instances/{instanceId}/backups", List).Produces<BackupListView>().ProducesErrors(400, 401, 404);
        ops.MapPost("/instances/{instanceId}/backups", Take)
            .Produces<BackupAccepted>(StatusCodes.Status202Accepted).ProducesErrors(400, 401, 404, 409, 422);
        ops.MapPost("/instances/{instanceId}/backups/{backupId}/restore", Restore)
            .Produces<BackupAccepted>(StatusCodes.Status202Accepted).ProducesErrors(400, 401, 404, 409, 422);
        return ops;
    }

    private static async Task<IResult> List(string instanceId, StreamStore streams, TimeProvider clock, CancellationToken ct)
    {
        if (!Guid.TryParse(instanceId, out var id)) return OpsErrors.BadRequest($"instanceId must be a GUID (not '{instanceId}').");
        var (events, _) = await streams.Read(ServiceInstance.StreamId(id), ct);
        var state = ServiceInstance.Fold(events);
        if (!state.Exists) return OpsErrors.NotFound($"Service instance {id} does not exist.");
        return Results.Json(new BackupListView(id, Schedule(state.Backups, clock.GetUtcNow()), Backups(events)), OpsApi.Json);
    }

    private static Task<IResult> Take(string instanceId, HttpRequest request, ServiceInstanceStore instances, ServiceCatalog catalog, TimeProvider clock,
        CancellationToken ct) =>
        Decide(instanceId, request, instances, ct, (id, operationId, backupId, state) =>
        {
            var now = clock.GetUtcNow();
            return BackupDecisions.Decide(state, new TakeBackup(id, operationId, backupId, null, now, catalog.FindPlan(state.ServiceId, state.PlanId)?.DeadlineFrom(now)));
        }, OperationKind.Backup, null);

    private static Task<IResult> Restore(string instanceId, string backupId, HttpRequest request, ServiceInstanceStore instances, ServiceCatalog catalog,
        TimeProvider clock, CancellationToken ct)
    {
        if (!Guid.TryParse(backupId, out var backup)) return Task.FromResult(OpsErrors.BadRequest($"backupId must be a GUID (not '{backupId}')."));
        return Decide(instanceId, request, instances, ct, (id, operationId, _, state) =>
        {
            var now = clock.GetUtcNow();
            return BackupDecisions.Decide(state, new RestoreBackup(id, operationId, backup, now, catalog.FindPlan(state.ServiceId, state.PlanId)?.DeadlineFrom(now)));
        }, OperationKind.Restore, backup);
    }

    private static async Task<IResult> Decide(string instanceId, HttpRequest request, ServiceInstanceStore instances, CancellationToken ct,
        Func<Guid, Guid, Guid, ServiceInstance, Decision> decide, OperationKind kind, Guid? restored)
    {
        if (!Guid.TryParse(instanceId, out var id)) return OpsErrors.BadRequest($"instanceId must be a GUID (not '{instanceId}').");
        var (operationId, backupId) = (Guid.CreateVersion7(), restored ?? Guid.NewGuid());
        var decision = await instances.Handle(id, state => decide(id, operationId, backupId, state),
            new EventMetadata(operationId, OriginatingIdentity: OpsApi.OriginatingIdentity(request)), ct: ct);
        return decision switch
        {
            Decision.Accepted a => Results.Json(new BackupAccepted(a.OperationId, id, Kinds.Of(kind), backupId), OpsApi.Json,
                statusCode: StatusCodes.Status202Accepted),
            Decision.Rejected r => OpsErrors.From(r.Error),
            _ => throw new InvalidOperationException($"Unexpected decision {decision}"),
        };
    }

    private static BackupScheduleView Schedule(InstanceBackups backups, DateTimeOffset now)
    {
        DateTimeOffset? next = null;
        if (backups is { Enabled: true, Schedule: { } cronText, SetAt: { } set } && BackupCron.TryParse(cronText, out var cron, out _))
        {
            var from = new[] { now, set, backups.LastSlot ?? set }.Max();
            next = cron!.GetNextOccurrence(from.UtcDateTime) is { } at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
            // A slot that came and was not taken yet (the scheduler's next pass takes it) is the next one.
            if (backups.DueSlot(now) is { } due) next = due;
        }
        return new BackupScheduleView(backups.Enabled, backups.Schedule, backups.Retain, backups.LastSlot, next);
    }

    /// <summary>The backups of the instance's current life (its storage holds them), from its stream.</summary>
    private static List<BackupView> Backups(IReadOnlyList<IDomainEvent> events)
    {
        var life = events.Select((e, i) => (e, i)).LastOrDefault(x => x.e is ServiceInstanceProvisioningRequested).i;
        var backups = new List<BackupView>();
        foreach (var e in events.Skip(life))
        {
            switch (e)
            {
                case BackupStarted s:
                    backups.Add(new BackupView(s.BackupId, s.OperationId, OperationStates.InProgress, s.ScheduledFor, s.StartedAt, null, null, null, null, null, null));
                    break;
                case BackupCompleted c:
                    Change(b => b.JobId == c.OperationId, b => b with
                        { State = OperationStates.Succeeded, CompletedAt = c.CompletedAt, SizeBytes = c.SizeBytes, Sha256 = c.Sha256, SoftwareVersion = c.SoftwareVersion });
                    break;
                case BackupFailed f:
                    Change(b => b.JobId == f.OperationId, b => b with { State = OperationStates.Failed, CompletedAt = f.FailedAt, Error = f.Reason });
                    break;
                case BackupRemoved r:
                    Change(b => b.BackupId == r.BackupId, b => b with { State = "removed", RemovedAt = r.RemovedAt });
                    break;
            }
        }
        return backups;

        void Change(Func<BackupView, bool> which, Func<BackupView, BackupView> change)
        {
            var index = backups.FindLastIndex(b => which(b));
            if (index >= 0) backups[index] = change(backups[index]);
        }
    }
}
