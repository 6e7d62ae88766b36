using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Snapshots;
using EventSourced.Provisioners.SubProvisioners;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace EventSourced.Provisioners.Backups;

/// <summary>
/// Restores a kept backup into the instance's own database, in place, on its host: the archive verified member by member,
/// then <c>pg_restore --clean --if-exists --single-transaction</c> (a restore that fails leaves the database as it was; one
/// delivered again replaces what an earlier run restored). Records <see cref="BackupRestored"/> or <see cref="BackupRestoreFailed"/>.
/// </summary>
public sealed class BackupRestorer(OutcomeRecorder recorder, InstanceArchiver archiver, ILogger<BackupRestorer> log) : IConsumer<BackupRestoreRequested>
{
    public async Task Consume(ConsumeContext<BackupRestoreRequested> context)
    {
        var request = context.Message;
        var ct = context.CancellationToken;
        if (await recorder.CurrentOperationOf(context, request.InstanceId, request.OperationId) is not { } state) return;
        var outcome = await OutcomeRecorder.Attempt(
            async () => await Restore(state, request, ct),
            reason => new BackupRestoreFailed(request.InstanceId, request.OperationId, $"Restore of backup {request.BackupId} failed: {reason}", recorder.Now));
        await recorder.Record(context, request.InstanceId, request.OperationId, outcome, nameof(BackupRestorer));
    }

    private async Task<IDomainEvent> Restore(ServiceInstance state, BackupRestoreRequested request, CancellationToken ct)
    {
        var kept = state.Backups.Kept.FirstOrDefault(b => b.BackupId == request.BackupId)
            ?? throw new BackendException($"backup {request.BackupId} is no longer kept");
        if (!BackupLocation.Holds(state, kept.Path)) throw new BackendException($"backup {request.BackupId} is not in the instance's storage");
        await archiver.Restore(state, request.BackupId, request.OperationId, kept.Path, kept.Sha256, ct);
        log.LogInformation("Instance {InstanceId} restored in place from its backup {BackupId}", request.InstanceId, request.BackupId);
        return new BackupRestored(request.InstanceId, request.OperationId, request.BackupId, recorder.Now);
    }
}
