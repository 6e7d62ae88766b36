using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Hosts;
using EventSourced.Provisioners.Snapshots;
using EventSourced.Provisioners.SubProvisioners;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Backups;

/// <summary>
/// Carries out a backup on the instance's host: its database dumped into an archive (an export's format) in the instance's
/// storage, then <see cref="BackupCompleted"/> (or <see cref="BackupFailed"/>) recorded and retention applied. A request
/// delivered again (a broker killed mid-backup, a watchdog nudge) finds a complete archive already in place and only
/// records it, or writes it again: the backup ends once, and only a complete archive is ever recorded.
/// </summary>
public sealed class BackupTaker(
    OutcomeRecorder recorder, SnapshotPaths paths, InstanceArchiver archiver, BackupRetention retention, IOptions<WorkerHostOptions> host,
    ILogger<BackupTaker> log) : IConsumer<BackupStarted>
{
    public async Task Consume(ConsumeContext<BackupStarted> context)
    {
        var request = context.Message;
        var ct = context.CancellationToken;
        if (await recorder.CurrentOperationOf(context, request.InstanceId, request.OperationId) is not { } state) return;
        if (paths.Busy(request.OperationId, TimeSpan.FromSeconds(30), recorder.Now))
        {
            log.LogInformation("Backup {BackupId} of instance {InstanceId} is being dumped by an earlier run: this copy of its request leaves it be",
                request.BackupId, request.InstanceId);
            return;
        }
        var outcome = await OutcomeRecorder.Attempt(
            async () => await Backup(state, request, ct),
            reason => new BackupFailed(request.InstanceId, request.OperationId, $"Backup {request.BackupId} failed: {reason}", recorder.Now));
        await recorder.Record(context, request.InstanceId, request.OperationId, outcome, nameof(BackupTaker));
        if (outcome is BackupCompleted) await retention.Apply(request.InstanceId, ct);
    }

    private async Task<IDomainEvent> Backup(ServiceInstance state, BackupStarted request, CancellationToken ct)
    {
        if (BackupDecisions.Unsupported(state) is Decision.Rejected { Error: var unsupported }) throw new InvalidOperationException(unsupported.Description);
        var archive = BackupLocation.ArchiveOf(state, request.BackupId);
        BackupLocation.RemoveAbandonedPartials(BackupLocation.DirectoryOf(state), recorder.Now, request.BackupId);
        var written = await archiver.Write(state, request.BackupId, request.OperationId, archive, recorder.Now, ct);
        log.LogInformation("Backup {BackupId} of instance {InstanceId} written to {Archive} ({Size} bytes)", request.BackupId, request.InstanceId,
            written.Path, written.SizeBytes);
        return new BackupCompleted(request.InstanceId, request.OperationId, request.BackupId, written.Path, written.SizeBytes, written.Sha256,
            written.Software, recorder.Now, host.Value.Name);
    }
}
