using System.Text.Json;

namespace EventSourced.Provisioners.Snapshots;

/// <summary>One file of a snapshot archive besides the manifest: its name, size and SHA-256 (lower-case hex).</summary>
public sealed record SnapshotMember(string Name, long Size, string Sha256);

/// <summary>
/// <c>snapshot.json</c>, the first member of every archive: what the snapshot is of (instance, service, plan, provisioner),
/// what made it (software and its version) and every other member with its checksum, so that an import can tell a
/// complete, untouched archive from a corrupted or altered one before it creates anything.
/// </summary>
public sealed record SnapshotManifest(
    int Format, Guid SnapshotId, Guid InstanceId, string ServiceId, string PlanId, string? Provisioner, string Software,
    string SoftwareVersion, DateTimeOffset CreatedAt, IReadOnlyList<SnapshotMember> Members)
{
    public const int CurrentFormat = 1;
    public const string FileName = "snapshot.json";
    /// <summary>The PostgreSQL database, as <c>pg_dump --format=custom</c> wrote it.</summary>
    public const string DatabaseDump = "database.dump";
    /// <summary>A Redis server's dataset, an RDB file as the server sent it to <c>redis-cli --rdb</c>.</summary>
    public const string RedisDump = "dump.rdb";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}
