using EventSourced.Commands.Catalog;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.SubProvisioners;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using EventSourced.Provisioners.Hosts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Snapshots;

/// <summary>
/// Carries out an export on the instance's host: dumps its data (its provisioner's snapshot backend: a database's
/// <c>pg_dump</c>, a Redis server's RDB), writes the archive with its manifest into the
/// snapshots root and records <see cref="SnapshotExported"/> (or <see cref="SnapshotExportFailed"/>). A request delivered
/// again (a broker that died mid-export, a nudge) finds the archive already in place and only records it.
/// </summary>
public sealed class SnapshotExporter(
    OutcomeRecorder recorder, SnapshotPaths paths, InstanceArchiver archiver, IOptions<WorkerHostOptions> host, ILogger<SnapshotExporter> log) : IConsumer<SnapshotExportRequested>
{
    public async Task Consume(ConsumeContext<SnapshotExportRequested> context)
    {
        var request = context.Message;
        var ct = context.CancellationToken;
        if (await recorder.CurrentOperationOf(context, request.InstanceId, request.OperationId) is not { } state) return;
        if (paths.Busy(request.OperationId, TimeSpan.FromSeconds(30), recorder.Now))
        {
            log.LogInformation("Export {OperationId} of instance {InstanceId} is being dumped by an earlier run: this copy of its request leaves it be",
                request.OperationId, request.InstanceId);
            return;
        }
        var outcome = await OutcomeRecorder.Attempt(
            async () => await Export(state, request, ct),
            reason => new SnapshotExportFailed(request.InstanceId, request.OperationId, $"Export failed: {reason}", recorder.Now));
        await recorder.Record(context, request.InstanceId, request.OperationId, outcome, nameof(SnapshotExporter));
    }

    private async Task<SnapshotExported> Export(ServiceInstance state, SnapshotExportRequested request, CancellationToken ct)
    {
        var written = await archiver.Write(state, request.SnapshotId, request.OperationId, paths.ArchiveOf(request.Destination, request.SnapshotId), recorder.Now, ct);
        log.LogInformation("Snapshot {SnapshotId} of instance {InstanceId} exported to {Archive} ({Size} bytes)", request.SnapshotId, request.InstanceId,
            written.Path, written.SizeBytes);
        return new SnapshotExported(request.InstanceId, request.OperationId, request.SnapshotId, written.Path, written.SizeBytes, written.Sha256,
            written.Software, request.ExpiresAt, recorder.Now, host.Value.Name);
    }
}
