using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.SubProvisioners;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventSourced.Provisioners.Snapshots;

/// <summary>
/// The import's part of the database step: the snapshot's archive verified again where it is restored (it was verified
/// when the import was accepted, but a file can change since), then its dump restored into the new database.
/// </summary>
public sealed class SnapshotRestorer(SnapshotCatalog catalog, SnapshotPaths paths, IServiceProvider services, ILogger<SnapshotRestorer> log)
{
    public async Task Restore(ServiceInstance state, Guid snapshotId, CancellationToken ct)
    {
        var snapshot = await catalog.Find(snapshotId, ct) ?? throw new BackendException($"snapshot {snapshotId} was never exported");
        if (snapshot.RemovedAt is { } removed) throw new BackendException($"snapshot {snapshotId} expired and was removed at {removed:u}");
        var backend = services.GetService<ISnapshotBackend>() ?? throw new BackendException("this broker's backend cannot restore snapshots (the local backend can)");
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
            var placement = DatabasePlacement.Of(state);
            await backend.Restore(placement.ServerInstanceId, placement.Database, placement.Owner, Path.Combine(staging, SnapshotManifest.DatabaseDump), ct);
            log.LogInformation("Instance {InstanceId} restored from snapshot {SnapshotId} of instance {SourceId}", state.Id, snapshotId, manifest.InstanceId);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }
}
