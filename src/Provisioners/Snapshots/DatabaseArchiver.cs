using EventSourced.Commands.Catalog;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.SubProvisioners;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventSourced.Provisioners.Snapshots;

/// <summary>What an archive written by <see cref="DatabaseArchiver"/> is: its path, size, SHA-256 and the software it was dumped from.</summary>
public sealed record WrittenArchive(string Path, long SizeBytes, string Sha256, string Software);

/// <summary>
/// The instance's database in an archive, and an archive back into a database: what an export and a backup write (a
/// <c>pg_dump --format=custom</c> dump with its manifest, in a tar.gz written under a temporary name and renamed into
/// place) and what an import and a restore read (verified member by member first). One way to do both, for both.
/// </summary>
public sealed class DatabaseArchiver(SnapshotPaths paths, IServiceProvider services, ILogger<DatabaseArchiver> log)
{
    /// <summary>
    /// Dumps the instance's database into <paramref name="archive"/> (archive id <paramref name="archiveId"/>), unless an
    /// archive is already in place there (a request delivered again after a crash): then it is only read back.
    /// </summary>
    public async Task<WrittenArchive> Write(ServiceInstance state, Guid archiveId, Guid jobId, string archive, DateTimeOffset now, CancellationToken ct)
    {
        var software = "";
        if (!File.Exists(archive))
        {
            var backend = services.GetService<ISnapshotBackend>()
                ?? throw new BackendException("this broker's backend cannot dump databases (the local backend can)");
            var catalog = services.GetService<ServiceCatalog>();
            if (catalog?.ProvisionerOf(state.ServiceId) is { Definition.Provides.HasDatabase: false } serverOnly)
                throw new BackendException($"the provisioner '{serverOnly.Name}' has no database to export");
            var placement = DatabasePlacement.Of(state);
            var staging = paths.Staging(jobId);
            try
            {
                var version = await backend.Dump(placement.ServerInstanceId, placement.Database, Path.Combine(staging, SnapshotManifest.DatabaseDump), ct);
                software = $"{backend.Software} {version}";
                Directory.CreateDirectory(Path.GetDirectoryName(archive)!);
                await SnapshotArchive.Write(archive, staging, members => new SnapshotManifest(SnapshotManifest.CurrentFormat, archiveId,
                    state.Id, state.ServiceId, state.PlanId, catalog?.ProvisionerOf(state.ServiceId)?.Name, backend.Software, version,
                    now, members), ct);
            }
            finally
            {
                Directory.Delete(staging, recursive: true);
            }
        }
        else log.LogInformation("Archive {ArchiveId} of instance {InstanceId} is already in place: recording it", archiveId, state.Id);
        var manifest = await paths.ReadManifest(archive, ct);
        return new WrittenArchive(archive, new FileInfo(archive).Length, await SnapshotArchive.Sha256Of(archive, ct),
            software.Length > 0 ? software : $"{manifest.Software} {manifest.SoftwareVersion}");
    }

    /// <summary>
    /// Verifies <paramref name="archive"/> (it must be archive <paramref name="archiveId"/>) and restores its dump into the
    /// instance's database in one transaction (<c>pg_restore --clean --if-exists --single-transaction</c>).
    /// </summary>
    public async Task<SnapshotManifest> Restore(ServiceInstance state, Guid archiveId, Guid jobId, string archive, CancellationToken ct)
    {
        var backend = services.GetService<ISnapshotBackend>() ?? throw new BackendException("this broker's backend cannot restore databases (the local backend can)");
        var staging = paths.Staging(jobId);
        try
        {
            SnapshotManifest manifest;
            try
            {
                manifest = await SnapshotArchive.Verify(archive, staging, ct);
            }
            catch (SnapshotInvalidException e)
            {
                throw new BackendException($"archive {archiveId} cannot be restored: {e.Message}", e);
            }
            if (manifest.SnapshotId != archiveId) throw new BackendException($"the archive of {archiveId} holds {manifest.SnapshotId}");
            var placement = DatabasePlacement.Of(state);
            await backend.Restore(placement.ServerInstanceId, placement.Database, placement.Owner, Path.Combine(staging, SnapshotManifest.DatabaseDump), ct);
            return manifest;
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }
}
