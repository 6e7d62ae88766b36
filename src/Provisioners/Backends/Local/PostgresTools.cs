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
    // Every tool is bounded: pg_ctl waits StartTimeout itself, so twice that is a hang, not a slow start.
    private TimeSpan ToolTimeout => options.StartTimeout * 2;
    private string TimeoutSeconds => ((int)Math.Ceiling(options.StartTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    // initdb's cluster gets the include line before it takes the data directory's name: a broker dying in between
    // leaves only a staging directory, never a cluster that a later start would run with the defaults.
    public async Task InitDb(InstanceDirectory instance, CancellationToken ct)
    {
        var staging = instance.DataDirectory + ".initdb";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        await RunPostgres(instance, "initdb",
            ["-D", staging, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C"], ct);
        await File.AppendAllTextAsync(Path.Combine(staging, "postgresql.conf"),
            $"\n# Settings owned by the service broker.\ninclude = '{BrokerConfFile}'\n", ct);
        Directory.Move(staging, instance.DataDirectory);
    }

    public async Task Start(InstanceDirectory instance, int port, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        await WriteConfig(instance, port, settings, ct);
        await RunPostgres(instance, "pg_ctl", ["-D", instance.DataDirectory, "-l", instance.LogFile, "-w", "-t", TimeoutSeconds, "start"], ct);
    }

    /// <summary>Rewrites broker.conf; the running server reads it on the next reload or start.</summary>
    public async Task WriteConfig(InstanceDirectory instance, int port, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        var file = Path.Combine(instance.DataDirectory, BrokerConfFile);
        // Names come from ServerSettings.Allowed and values never hold a quote, backslash or line break.
        var chosen = string.Concat(settings.Select(setting => $"{setting.Key} = '{setting.Value}'\n"));
        await File.WriteAllTextAsync(file, $"""
            listen_addresses = '127.0.0.1'
            port = {port}
            unix_socket_directories = '{instance.SocketDirectory.Replace("'", "''")}'
            unix_socket_permissions = 0700

            """ + chosen, ct);
        await GiveToRunAsUser(file, ct);
    }

    /// <summary>Has postgres parse the configuration as a start would (it works beside a running server): a bad value fails here.</summary>
    public Task CheckConfig(InstanceDirectory instance, CancellationToken ct) =>
        RunPostgres(instance, "postgres", ["-D", instance.DataDirectory, "-C", "max_connections"], ct);

    /// <summary>
    /// Copies the running primary at <paramref name="host"/>:<paramref name="port"/> into <paramref name="replica"/>'s data
    /// directory as a hot standby of it (pg_basebackup -R: standby.signal and primary_conninfo, over TCP as
    /// <paramref name="role"/> with the password in <paramref name="passfile"/>, which primary_conninfo names too, through
    /// the physical slot <paramref name="slot"/> it creates). Into a staging directory first: a copy cut short never looks
    /// like a cluster.
    /// </summary>
    public async Task BaseBackup(InstanceDirectory replica, string host, int port, string role, string passfile, string slot, CancellationToken ct)
    {
        var staging = replica.DataDirectory + ".basebackup";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        var connection = $"host={host} port={port.ToString(CultureInfo.InvariantCulture)} user={role} passfile='{passfile.Replace(@"\", @"\\").Replace("'", @"\'")}'";
        await RunPostgres(replica, "pg_basebackup",
            ["-D", staging, "-d", connection, "--no-password", "-X", "stream", "-R", "-C", "-S", slot, "-c", "fast"], ct);
        Directory.Move(staging, replica.DataDirectory);
    }

    public Task Reload(InstanceDirectory instance, CancellationToken ct) =>
        RunPostgres(instance, "pg_ctl", ["-D", instance.DataDirectory, "reload"], ct);

    public Task Stop(InstanceDirectory instance, CancellationToken ct) =>
        RunPostgres(instance, "pg_ctl", ["-D", instance.DataDirectory, "-m", "fast", "-w", "-t", TimeoutSeconds, "stop"], ct);

    /// <summary>Hands a directory we created to the run-as user, so the server can write its cluster and socket there.</summary>
    public async Task GiveToRunAsUser(string path, CancellationToken ct)
    {
        if (RunAsUser is { } user) await ProcessRunner.Run("chown", [$"{user}:", path], Directory.Exists(path) ? path : Path.GetDirectoryName(path)!, ToolTimeout, ct);
    }

    private Task RunPostgres(InstanceDirectory instance, string tool, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var executable = Path.Combine(options.PostgresBinDirectory, tool);
        return RunAsUser is { } user
            ? ProcessRunner.Run("runuser", ["-u", user, "--", executable, .. arguments], instance.Path, ToolTimeout, ct)
            : ProcessRunner.Run(executable, arguments, instance.Path, ToolTimeout, ct);
    }
}
