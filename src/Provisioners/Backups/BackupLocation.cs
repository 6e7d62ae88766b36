using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Snapshots;

namespace EventSourced.Provisioners.Backups;

/// <summary>
/// Where an instance's backups live: <c>backups/</c> in the directory its storage sub-provisioner made for it (so they sit
/// on the instance's own disk, on its host, and go with its storage when it is deprovisioned).
/// </summary>
public static class BackupLocation
{
    public const string Folder = "backups";

    public static string DirectoryOf(ServiceInstance state) =>
        Path.Combine(state.Storage?.DataDirectory ?? throw new BackendException($"instance {state.Id} has no storage to keep backups in"), Folder);

    public static string ArchiveOf(ServiceInstance state, Guid backupId) => SnapshotArchive.PathOf(DirectoryOf(state), null, backupId);

    /// <summary>Whether a recorded path is one of the instance's backup archives (nothing else is ever removed as one).</summary>
    public static bool Holds(ServiceInstance state, string path) =>
        state.Storage is not null
        && Path.GetDirectoryName(Path.GetFullPath(path)) == Path.GetFullPath(DirectoryOf(state))
        && path.EndsWith(SnapshotArchive.Extension, StringComparison.Ordinal);

    /// <summary>
    /// Half-written archives in the instance's backups folder (all, or of one backup) left by a run that died (a broker killed
    /// mid-write), once they have not been written to for a minute (a live run writes into its own continuously): never an
    /// archive under its final name.
    /// </summary>
    public static void RemoveAbandonedPartials(string folder, DateTimeOffset now, Guid? backupId = null)
    {
        if (!Directory.Exists(folder)) return;
        var pattern = backupId is { } id ? $"{id:D}{SnapshotArchive.Extension}.*.partial" : "*.partial";
        foreach (var partial in Directory.GetFiles(folder, pattern))
            if (File.GetLastWriteTimeUtc(partial) < now.UtcDateTime.AddMinutes(-1)) File.Delete(partial);
    }
}
