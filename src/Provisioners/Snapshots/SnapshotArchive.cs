using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EventSourced.Provisioners.Snapshots;

/// <summary>A snapshot archive that is not what it claims to be: its message says what is wrong, for the operator.</summary>
public sealed class SnapshotInvalidException(string message) : Exception(message);

/// <summary>
/// The archive of a snapshot: a tar.gz of <c>snapshot.json</c> and the members it lists. Written to a temporary name and
/// renamed into place, so an archive under its final name is always complete; read back only after every member's size
/// and SHA-256 matched the manifest.
/// </summary>
public static partial class SnapshotArchive
{
    public const string Extension = ".tar.gz";

    /// <summary>The archive's path for a snapshot in a destination folder (null: the root). Names are checked by the caller.</summary>
    public static string PathOf(string root, string? destination, Guid snapshotId) =>
        Path.Combine(destination is null ? root : Path.Combine(root, destination), snapshotId.ToString("D") + Extension);

    /// <summary>A destination is one plain folder name under the snapshots root: no separators, no dot-only names.</summary>
    public static bool IsValidDestination(string destination) => DestinationPattern().IsMatch(destination) && destination.Trim('.').Length > 0;

    /// <summary>Writes the manifest and the members (files in <paramref name="directory"/>) into <paramref name="archive"/>.</summary>
    public static async Task Write(string archive, string directory, Func<IReadOnlyList<SnapshotMember>, SnapshotManifest> manifest, CancellationToken ct)
    {
        var members = new List<SnapshotMember>();
        foreach (var file in Directory.GetFiles(directory).Order(StringComparer.Ordinal))
            members.Add(new SnapshotMember(Path.GetFileName(file), new FileInfo(file).Length, await Sha256Of(file, ct)));
        var temporary = $"{archive}.{Guid.NewGuid():N}.partial";
        try
        {
            await using (var output = File.Create(temporary))
            await using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
            await using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
            {
                var json = JsonSerializer.SerializeToUtf8Bytes(manifest(members), SnapshotManifest.Json);
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, SnapshotManifest.FileName) { DataStream = new MemoryStream(json) }, ct);
                foreach (var member in members)
                    await tar.WriteEntryAsync(Path.Combine(directory, member.Name), member.Name, ct);
            }
            // A copy of this export that ran beside it (a re-sent request) may have put its archive in place first: that one stays.
            if (!File.Exists(archive)) File.Move(temporary, archive, overwrite: false);
        }
        catch (IOException) when (File.Exists(archive))
        {
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>
    /// Checks the archive — a manifest of a known format, every member it lists present once with its size and SHA-256,
    /// nothing else, only plain files — unpacking it into <paramref name="directory"/> (null: only reading it through).
    /// Throws <see cref="SnapshotInvalidException"/>.
    /// </summary>
    public static async Task<SnapshotManifest> Verify(string archive, string? directory, CancellationToken ct)
    {
        if (!File.Exists(archive)) throw new SnapshotInvalidException($"The snapshot archive {Path.GetFileName(archive)} does not exist.");
        if (directory is not null) Directory.CreateDirectory(directory);
        var found = new Dictionary<string, (long Size, string Sha256)>(StringComparer.Ordinal);
        SnapshotManifest? manifest = null;
        try
        {
            await using var input = File.OpenRead(archive);
            await using var gzip = new GZipStream(input, CompressionMode.Decompress);
            await using var tar = new TarReader(gzip);
            while (await tar.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                    throw new SnapshotInvalidException($"The archive holds '{entry.Name}', which is not a plain file.");
                if (!MemberPattern().IsMatch(entry.Name))
                    throw new SnapshotInvalidException($"The archive holds a member named '{entry.Name}': members are plain file names.");
                if (found.ContainsKey(entry.Name) || (entry.Name == SnapshotManifest.FileName && manifest is not null))
                    throw new SnapshotInvalidException($"The archive holds '{entry.Name}' twice.");
                if (entry.Name == SnapshotManifest.FileName)
                {
                    manifest = await ReadManifest(entry.DataStream, ct);
                    continue;
                }
                await using var file = directory is null ? Stream.Null : File.Create(Path.Combine(directory, entry.Name));
                found[entry.Name] = await CopyAndHash(entry.DataStream, file, ct);
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or JsonException)
        {
            throw new SnapshotInvalidException($"The snapshot archive is corrupted: {e.Message}");
        }
        if (manifest is null) throw new SnapshotInvalidException($"The archive has no {SnapshotManifest.FileName}: it is not a snapshot.");
        foreach (var member in manifest.Members)
        {
            if (!found.Remove(member.Name, out var actual))
                throw new SnapshotInvalidException($"The archive lacks '{member.Name}', which its manifest lists.");
            if (actual.Size != member.Size || !string.Equals(actual.Sha256, member.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new SnapshotInvalidException(
                    $"'{member.Name}' does not match the manifest (SHA-256 {actual.Sha256}, {actual.Size} bytes; expected {member.Sha256}, {member.Size} bytes): the archive was altered or damaged.");
        }
        if (found.Count > 0) throw new SnapshotInvalidException($"The archive holds '{found.Keys.First()}', which its manifest does not list.");
        return manifest;
    }

    private static async Task<(long Size, string Sha256)> CopyAndHash(Stream? data, Stream target, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long size = 0;
        int read;
        while (data is not null && (read = await data.ReadAsync(buffer, ct)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await target.WriteAsync(buffer.AsMemory(0, read), ct);
            size += read;
        }
        return (size, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    public static async Task<string> Sha256Of(string file, CancellationToken ct)
    {
        await using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    private static async Task<SnapshotManifest> ReadManifest(Stream? data, CancellationToken ct)
    {
        var manifest = data is null ? null : await JsonSerializer.DeserializeAsync<SnapshotManifest>(data, SnapshotManifest.Json, ct);
        if (manifest is null || manifest.Members is null || manifest.ServiceId is null || manifest.PlanId is null)
            throw new SnapshotInvalidException($"{SnapshotManifest.FileName} is not a snapshot manifest.");
        if (manifest.Format != SnapshotManifest.CurrentFormat)
            throw new SnapshotInvalidException($"{SnapshotManifest.FileName} has format {manifest.Format}; this broker reads format {SnapshotManifest.CurrentFormat}.");
        return manifest;
    }

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex DestinationPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex MemberPattern();
}
