using EventSourced.Provisioners.Snapshots;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Backends.Local.Redis;

/// <summary>
/// The snapshots of the <c>redis-server</c> instance implementation: the server's whole dataset as an RDB file.
/// <para>
/// Exported with <c>redis-cli --rdb</c> as the broker's admin user (its password in the environment, not on the command
/// line): the server forks and sends a point-in-time RDB as it would to a replica, so its clients are not blocked while
/// it is written (only the fork pauses it), and nothing is written into the instance's directory. Imported by
/// <see cref="RedisServerBackend.LoadDataset"/>, which makes the loaded dataset the append-only file the server restarts from.
/// </para>
/// </summary>
[SubProvisionerImplementation("redis-server")]
public sealed class RedisSnapshots(RedisServerBackend servers, IOptions<SnapshotOptions> snapshots) : ISnapshotBackend
{
    private const string Cli = "/usr/bin/redis-cli";

    public string Software => RedisServerBackend.Software;

    public string Member => SnapshotManifest.RedisDump;

    public async Task<string> Dump(SnapshotTarget target, string file, CancellationToken ct)
    {
        var instanceId = target.ServerInstanceId;
        var port = servers.PortOf(instanceId) ?? throw new BackendException($"cannot export the redis server of instance {instanceId}: none is provisioned here");
        var version = await servers.Version(instanceId, ct);
        await SnapshotTool.Run("redis-cli", Cli,
            ["-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--user", RedisServerBackend.AdminUser, "--rdb", file],
            runAsUser: null, new Dictionary<string, string> { ["REDISCLI_AUTH"] = servers.AdminPassword(instanceId) },
            stdin: null, stdout: null, snapshots.Value.ToolTimeout, ct);
        // redis-cli may end well without a dataset (a refused login is only a warning to it): an RDB begins with "REDIS".
        if (!await IsRdb(file, ct))
            throw new BackendException($"redis-cli wrote no RDB file for the redis server of instance {instanceId} (was the broker's admin login refused?)");
        return version;
    }

    public Task Restore(SnapshotTarget target, string file, CancellationToken ct) =>
        servers.LoadDataset(target.ServerInstanceId, file, snapshots.Value.ToolTimeout, ct);

    private static async Task<bool> IsRdb(string file, CancellationToken ct)
    {
        if (!File.Exists(file)) return false;
        await using var stream = File.OpenRead(file);
        var magic = new byte[5];
        return await stream.ReadAtLeastAsync(magic, magic.Length, throwOnEndOfStream: false, ct) == magic.Length && magic.AsSpan().SequenceEqual("REDIS"u8);
    }
}
