using EventSourced.Provisioners.Snapshots;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// pg_dump (custom format) and pg_restore over the instance's unix socket as the postgres superuser, run as the servers'
/// user; the dump streams through our own process into the file, so no file needs to be writable by that user. The
/// snapshots of the <c>postgresql-server</c> instance implementation (its database, as the database step made it).
/// </summary>
[SubProvisionerImplementation("postgresql-server")]
public sealed class LocalPostgresSnapshots(IOptions<LocalBackendOptions> options, IOptions<SnapshotOptions> snapshots) : ISnapshotBackend
{
    private readonly LocalBackendOptions _options = options.Value;

    public string Software => "postgresql";

    public string Member => SnapshotManifest.DatabaseDump;

    public async Task<string> Dump(SnapshotTarget target, string file, CancellationToken ct)
    {
        var database = target.Database ?? throw new BackendException($"instance {target.ServerInstanceId} has no database to export");
        var (instance, port) = Server(target.ServerInstanceId, $"cannot export database {database}");
        string version;
        await using (var connection = await Superuser.Connect(instance, port, database, ct))
        await using (var command = new NpgsqlCommand("SHOW server_version", connection))
            version = (string)(await command.ExecuteScalarAsync(ct))!;
        await using (var output = File.Create(file))
            await Run("pg_dump", ["--format=custom", "--no-owner", "--no-acl", "-h", instance.SocketDirectoryOf(port), "-p", port.ToString(), "-U", "postgres", "-d", database],
                stdin: null, stdout: output, ct);
        return version;
    }

    public async Task Restore(SnapshotTarget target, string file, CancellationToken ct)
    {
        if (target is not { Database: { } database, Owner: { } owner })
            throw new BackendException($"a postgresql snapshot restores into a database: instance {target.ServerInstanceId} has none");
        var (instance, port) = Server(target.ServerInstanceId, $"cannot restore database {database}");
        await using var input = File.OpenRead(file);
        // One transaction: a restore that fails leaves the database as it was; --clean replaces what an earlier run restored.
        await Run("pg_restore", ["--clean", "--if-exists", "--single-transaction", "--exit-on-error", "--no-owner", "--no-acl",
            $"--role={owner}", "-h", instance.SocketDirectoryOf(port), "-p", port.ToString(), "-U", "postgres", "-d", database], input, stdout: null, ct);
    }

    private (InstanceDirectory, int) Server(Guid instanceId, string what)
    {
        var instance = new InstanceDirectory(_options.DataRoot, instanceId);
        return (instance, instance.ReadServer()?.Port ?? throw new BackendException($"{what} on instance {instanceId}: no server provisioned"));
    }

    private Task Run(string tool, IReadOnlyList<string> arguments, Stream? stdin, Stream? stdout, CancellationToken ct) =>
        SnapshotTool.Run(tool, Path.Combine(_options.PostgresBinDirectory, tool), arguments, _options.RunAsUser, null, stdin, stdout,
            snapshots.Value.ToolTimeout, ct);
}
