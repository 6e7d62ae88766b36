using System.Diagnostics;
using EventSourced.Provisioners.Snapshots;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// pg_dump (custom format) and pg_restore over the instance's unix socket as the postgres superuser, run as the servers'
/// user; the dump streams through our own process into the file, so no file needs to be writable by that user.
/// </summary>
public sealed class LocalPostgresSnapshots(IOptions<LocalBackendOptions> options, IOptions<SnapshotOptions> snapshots) : ISnapshotBackend
{
    private readonly LocalBackendOptions _options = options.Value;

    public string Software => "postgresql";

    public async Task<string> Dump(Guid serverInstanceId, string database, string file, CancellationToken ct)
    {
        var (instance, port) = Server(serverInstanceId, $"cannot export database {database}");
        string version;
        await using (var connection = await Superuser.Connect(instance, port, database, ct))
        await using (var command = new NpgsqlCommand("SHOW server_version", connection))
            version = (string)(await command.ExecuteScalarAsync(ct))!;
        await using (var output = File.Create(file))
            await Run("pg_dump", ["--format=custom", "--no-owner", "--no-acl", "-h", instance.SocketDirectoryOf(port), "-p", port.ToString(), "-U", "postgres", "-d", database],
                stdin: null, stdout: output, ct);
        return version;
    }

    public async Task Restore(Guid serverInstanceId, string database, string owner, string file, CancellationToken ct)
    {
        var (instance, port) = Server(serverInstanceId, $"cannot restore database {database}");
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

    private async Task Run(string tool, IReadOnlyList<string> arguments, Stream? stdin, Stream? stdout, CancellationToken ct)
    {
        var executable = Path.Combine(_options.PostgresBinDirectory, tool);
        var user = string.IsNullOrWhiteSpace(_options.RunAsUser) ? null : _options.RunAsUser;
        var startInfo = new ProcessStartInfo(user is null ? executable : "runuser")
        {
            WorkingDirectory = "/", RedirectStandardInput = stdin is not null, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var argument in user is null ? arguments : ["-u", user, "--", executable, .. arguments]) startInfo.ArgumentList.Add(argument);
        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Exception e)
        {
            throw new BackendException($"could not start {tool}: {e.Message}", e);
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(snapshots.Value.ToolTimeout);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            var copyOut = stdout is null
                ? process.StandardOutput.ReadToEndAsync(deadline.Token)
                : process.StandardOutput.BaseStream.CopyToAsync(stdout, deadline.Token);
            if (stdin is not null)
            {
                await stdin.CopyToAsync(process.StandardInput.BaseStream, deadline.Token);
                process.StandardInput.Close();
            }
            await copyOut;
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            process.Kill(entireProcessTree: true);
            if (ct.IsCancellationRequested) throw;
            if (e is IOException) throw new BackendException($"{tool} failed: {(await stderr).Trim()} ({e.Message})", e);
            throw new BackendException($"{tool} did not finish within {snapshots.Value.ToolTimeout} and was killed");
        }
        if (process.ExitCode != 0) throw new BackendException($"{tool} exited with {process.ExitCode}: {(await stderr).Trim()}");
    }
}
