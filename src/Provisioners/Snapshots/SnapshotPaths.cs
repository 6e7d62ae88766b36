using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using EventSourced.Provisioners.Backends.Local;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Snapshots;

/// <summary>Where snapshots live on this node: the archives under the root, and a staging folder per export or import.</summary>
public sealed class SnapshotPaths(IOptions<SnapshotOptions> options, IOptions<LocalBackendOptions> local)
{
    private const string StagingFolder = ".staging";

    public string Root { get; } = Path.GetFullPath(options.Value.RootOr(local.Value.DataRoot));

    public string ArchiveOf(string? destination, Guid snapshotId) => SnapshotArchive.PathOf(Root, destination, snapshotId);

    /// <summary>Whether a recorded path is an archive under this root (a path recorded elsewhere is not served or removed here).</summary>
    public bool Holds(string path)
    {
        var full = Path.GetFullPath(path);
        return full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && full.EndsWith(SnapshotArchive.Extension, StringComparison.Ordinal);
    }

    /// <summary>A new empty folder for one job's files, apart from the archives (a staging folder's name is no destination).</summary>
    public string Staging(Guid jobId)
    {
        var staging = Path.Combine(Root, StagingFolder, $"{jobId:N}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        return staging;
    }

    /// <summary>
    /// Whether a run of this job is writing its dump now (a file in its staging folder written within <paramref name="lately"/>):
    /// a request sent again while a long dump runs (a nudge) must not start a second dump beside it.
    /// </summary>
    public bool Busy(Guid jobId, TimeSpan lately, DateTimeOffset now)
    {
        var staging = Path.Combine(Root, StagingFolder);
        return Directory.Exists(staging) && Directory.GetDirectories(staging, $"{jobId:N}-*")
            .SelectMany(folder => Directory.Exists(folder) ? Directory.GetFiles(folder) : [])
            .Any(dump => File.Exists(dump) && File.GetLastWriteTimeUtc(dump) > (now - lately).UtcDateTime);
    }

    /// <summary>Staging folders last written before <paramref name="before"/>: left by jobs that died, no live job's.</summary>
    public void RemoveAbandonedStaging(DateTimeOffset before)
    {
        var staging = Path.Combine(Root, StagingFolder);
        if (!Directory.Exists(staging)) return;
        foreach (var folder in Directory.GetDirectories(staging).Where(f => Directory.GetLastWriteTimeUtc(f) < before.UtcDateTime))
            Directory.Delete(folder, recursive: true);
    }

    /// <summary>The manifest of an archive this node wrote (the exporter's own, read back for its record).</summary>
    public async Task<SnapshotManifest> ReadManifest(string archive, CancellationToken ct)
    {
        await using var input = File.OpenRead(archive);
        await using var gzip = new GZipStream(input, CompressionMode.Decompress);
        await using var tar = new TarReader(gzip);
        var entry = await tar.GetNextEntryAsync(copyData: false, ct);
        if (entry is not { Name: SnapshotManifest.FileName, DataStream: { } data })
            throw new SnapshotInvalidException($"{archive} does not begin with {SnapshotManifest.FileName}.");
        return await JsonSerializer.DeserializeAsync<SnapshotManifest>(data, SnapshotManifest.Json, ct)
            ?? throw new SnapshotInvalidException($"{archive} has an empty {SnapshotManifest.FileName}.");
    }
}
