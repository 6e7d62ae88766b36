using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventSourced.Provisioners.Snapshots;

/// <summary>
/// The import's part of the step that holds the instance's data (the database step; the server step for a provisioner
/// without one, as Redis): the snapshot's archive verified again where it is restored (it was verified when the import was
/// accepted, but a file can change since), then its data member restored by the provisioner's snapshot backend.
/// </summary>
public sealed class SnapshotRestorer(SnapshotCatalog catalog, InstanceArchiver archiver, ILogger<SnapshotRestorer> log)
{
    public async Task Restore(ServiceInstance state, Guid snapshotId, CancellationToken ct)
    {
        var snapshot = await catalog.Find(snapshotId, ct) ?? throw new BackendException($"snapshot {snapshotId} was never exported");
        if (snapshot.RemovedAt is { } removed) throw new BackendException($"snapshot {snapshotId} expired and was removed at {removed:u}");
        var manifest = await archiver.Restore(state, snapshotId, state.LastOperation!.Id, snapshot.Path, snapshot.Sha256, ct);
        log.LogInformation("Instance {InstanceId} restored from snapshot {SnapshotId} of instance {SourceId}", state.Id, snapshotId, manifest.InstanceId);
    }
}
