using System.Globalization;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>initdb, pg_ctl and chown for an instance, run as the configured user (through runuser when we are root).</summary>
internal sealed class PostgresTools(LocalBackendOptions options)
{
    // The server reads this file through an include line that initdb's postgresql.conf gets once; rewriting it on every
    // start lets a re-provisioned server take a newly allocated port. A hard include: should the file be unreadable, the
    // server refuses to start instead of starting with the defaults (port 5432, sockets in /var/run/postgresql).
    private const string BrokerConfFile = "broker.conf";

    private string? RunAsUser => string.IsNullOrWhiteSpace(options.RunAsUser) ? null : options.RunAsUser;
    private string TimeoutSeconds => ((int)Math.Ceiling(options.StartTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    public async Task InitDb(InstanceDirectory instance, CancellationToken ct)
    {
        await RunPostgres(instance, "initdb",
            ["-D", instance.DataDirectory, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C"], ct);
        await File.AppendAllTextAsync(Path.Combine(instance.DataDirectory, "postgresql.conf"),
            $"\n# Settings owned by the service broker.\ninclude = '{BrokerConfFile}'\n", ct);
    }

    public async Task Start(InstanceDirectory instance, int port, CancellationToken ct)
    {
        var settings = Path.Combine(instance.DataDirectory, BrokerConfFile);
        await File.WriteAllTextAsync(settings, $"""
            listen_addresses = '127.0.0.1'
            port = {port}
            unix_socket_directories = '{instance.SocketDirectory.Replace("'", "''")}'
            unix_socket_permissions = 0700
            shared_buffers = 16MB
            max_connections = 50

            """, ct);
        await GiveToRunAsUser(settings, ct);
        await RunPostgres(instance, "pg_ctl", ["-D", instance.DataDirectory, "-l", instance.LogFile, "-w", "-t", TimeoutSeconds, "start"], ct);
    }

    public Task Stop(InstanceDirectory instance, CancellationToken ct) =>
        RunPostgres(instance, "pg_ctl", ["-D", instance.DataDirectory, "-m", "fast", "-w", "-t", TimeoutSeconds, "stop"], ct);

    /// <summary>Hands a directory we created to the run-as user, so the server can write its cluster and socket there.</summary>
    public async Task GiveToRunAsUser(string path, CancellationToken ct)
    {
        if (RunAsUser is { } user) await ProcessRunner.Run("chown", [$"{user}:", path], Directory.Exists(path) ? path : Path.GetDirectoryName(path)!, ct);
    }

    private Task RunPostgres(InstanceDirectory instance, string tool, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var executable = Path.Combine(options.PostgresBinDirectory, tool);
        return RunAsUser is { } user
            ? ProcessRunner.Run("runuser", ["-u", user, "--", executable, .. arguments], instance.Path, ct)
            : ProcessRunner.Run(executable, arguments, instance.Path, ct);
    }
}
