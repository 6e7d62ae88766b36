using EventSourced.Commands.Catalog;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventSourced.Provisioners.Snapshots;

/// <summary>What an archive written by <see cref="InstanceArchiver"/> is: its path, size, SHA-256 and the software it was dumped from.</summary>
public sealed record WrittenArchive(string Path, long SizeBytes, string Sha256, string Software);

/// <summary>
/// An instance's data in an archive, and an archive back into an instance: what an export and a backup write (the data
/// member its snapshot backend dumps — PostgreSQL's <c>pg_dump --format=custom</c>, Redis's RDB — with the manifest, in a
/// tar.gz written under a temporary name and renamed into place) and what an import and a restore read (verified member by
/// member, and against the archive's recorded SHA-256, first). One way to do both, for every provisioner: the software is
/// the instance implementation's <see cref="ISnapshotBackend"/> (<see cref="InstanceSnapshots"/>).
/// </summary>
public sealed class InstanceArchiver(SnapshotPaths paths, IServiceProvider services, ILogger<InstanceArchiver> log)
{
    /// <summary>
    /// Dumps the instance's data into <paramref name="archive"/> (archive id <paramref name="archiveId"/>), unless an
    /// archive is already in place there (a request delivered again after a crash): then it is only read back.
    /// </summary>
    public async Task<WrittenArchive> Write(ServiceInstance state, Guid archiveId, Guid jobId, string archive, DateTimeOffset now, CancellationToken ct)
    {
        var software = "";
        if (!File.Exists(archive))
        {
            var (backend, target) = InstanceSnapshots.Of(state, services, "export");
            var catalog = services.GetService<ServiceCatalog>();
            var staging = paths.Staging(jobId);
            try
            {
                var version = await backend.Dump(target, Path.Combine(staging, backend.Member), ct);
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
    /// Verifies <paramref name="archive"/> — it must be archive <paramref name="archiveId"/>, the very file recorded when it
    /// was written (<paramref name="recordedSha256"/>: the manifest has no checksum of its own), holding this instance's
    /// software's data member — and restores that member into the instance (PostgreSQL: in one transaction).
    /// </summary>
    public async Task<SnapshotManifest> Restore(
        ServiceInstance state, Guid archiveId, Guid jobId, string archive, string recordedSha256, CancellationToken ct)
    {
        var (backend, target) = InstanceSnapshots.Of(state, services, "restore");
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
            if (!string.Equals(await SnapshotArchive.Sha256Of(archive, ct), recordedSha256, StringComparison.OrdinalIgnoreCase))
                throw new BackendException($"the archive of {archiveId} is not the one written (its SHA-256 differs from the recorded one)");
            if (manifest.Software != backend.Software || manifest.Members.All(m => m.Name != backend.Member))
                throw new BackendException($"archive {archiveId} holds {manifest.Software} data, not the {backend.Member} of {backend.Software} this instance restores");
            await backend.Restore(target, Path.Combine(staging, backend.Member), ct);
            return manifest;
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }
}
