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
public sealed class SnapshotRestorer(SnapshotCatalog catalog, SnapshotPaths paths, IServiceProvider services, ILogger<SnapshotRestorer> log)
{
    public async Task Restore(ServiceInstance state, Guid snapshotId, CancellationToken ct)
    {
        var snapshot = await catalog.Find(snapshotId, ct) ?? throw new BackendException($"snapshot {snapshotId} was never exported");
        if (snapshot.RemovedAt is { } removed) throw new BackendException($"snapshot {snapshotId} expired and was removed at {removed:u}");
        var (backend, target) = InstanceSnapshots.Of(state, services, "restore");
        var staging = paths.Staging(state.LastOperation!.Id);
        try
        {
            SnapshotManifest manifest;
            try
            {
                manifest = await SnapshotArchive.Verify(snapshot.Path, staging, ct);
            }
            catch (SnapshotInvalidException e)
            {
                throw new BackendException($"snapshot {snapshotId} cannot be restored: {e.Message}", e);
            }
            if (manifest.SnapshotId != snapshotId) throw new BackendException($"the archive of snapshot {snapshotId} holds snapshot {manifest.SnapshotId}");
            if (!string.Equals(await SnapshotArchive.Sha256Of(snapshot.Path, ct), snapshot.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new BackendException($"the archive of snapshot {snapshotId} is not the one exported (its SHA-256 differs from the recorded one)");
            if (manifest.Software != backend.Software || manifest.Members.All(m => m.Name != backend.Member))
                throw new BackendException($"snapshot {snapshotId} holds {manifest.Software} data, not the {backend.Member} of {backend.Software} this instance restores");
            await backend.Restore(target, Path.Combine(staging, backend.Member), ct);
            log.LogInformation("Instance {InstanceId} restored from snapshot {SnapshotId} of instance {SourceId}", state.Id, snapshotId, manifest.InstanceId);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }
}
