using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace EventSourced.TestSupport;

/// <summary>
/// A PostgreSQL server of a test's own (initdb, pg_ctl on a free loopback port, data under /tmp), so a test can stop and
/// start it without touching the shared server every other test uses. It has the role <c>broker</c> (password
/// <c>broker</c>) and its database <c>broker</c>, as the shared one; it is removed when disposed.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;

    private PrivatePostgres(string bin, string dataDirectory, int port)
    {
        _bin = bin;
        DataDirectory = dataDirectory;
        Port = port;
    }

    public string DataDirectory { get; }
    public int Port { get; }

    /// <summary>The broker's database as the broker role; a stopped server refuses at once, and a connect gives up after 3 s.</summary>
    public string ConnectionString =>
        $"Host=127.0.0.1;Port={Port};Username=broker;Password=broker;Database=broker;Timeout=3;Command Timeout=10";

    public static async Task<PrivatePostgres> Start()
    {
        var bin = NewestPostgresBinDirectory();
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"esb-pg-{Guid.NewGuid():N}"[..20]);
        Directory.CreateDirectory(dataDirectory);
        var server = new PrivatePostgres(bin, dataDirectory, FreePort());
        try
        {
            if (Environment.IsPrivilegedProcess) await Run("chown", "postgres:", dataDirectory);
            await server.AsPostgres("initdb", "-D", dataDirectory, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
                "-E", "UTF8", "--no-sync");
            await File.AppendAllTextAsync(Path.Combine(dataDirectory, "postgresql.conf"), $"""

                listen_addresses = '127.0.0.1'
                port = {server.Port}
                unix_socket_directories = '{dataDirectory}'
                fsync = off
                max_connections = 100
                """);
            await server.StartAgain();
            await server.AsPostgres("psql", "-h", dataDirectory, "-p", server.Port.ToString(), "-U", "postgres", "-d", "postgres", "-qtA",
                "-v", "ON_ERROR_STOP=1", "-c", "CREATE ROLE broker LOGIN CREATEDB CREATEROLE PASSWORD 'broker'",
                "-c", "CREATE DATABASE broker OWNER broker");
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A fast shutdown (pg_ctl -m fast): sessions are ended, the port refuses connections until <see cref="StartAgain"/>.</summary>
    public Task Stop() => AsPostgres("pg_ctl", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop");

    public Task StartAgain() =>
        AsPostgres("pg_ctl", "-D", DataDirectory, "-l", Path.Combine(DataDirectory, "server.log"), "-w", "-t", "60", "start");

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try { await AsPostgres("pg_ctl", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "60", "stop"); }
            catch (InvalidOperationException) { } // already stopped
        }
        try { Directory.Delete(DataDirectory, recursive: true); }
        catch (IOException) { }
    }

    private Task AsPostgres(string tool, params string[] arguments)
    {
        var path = Path.Combine(_bin, tool);
        return Environment.IsPrivilegedProcess ? Run("runuser", ["-u", "postgres", "--", path, .. arguments]) : Run(path, arguments);
    }

    private static async Task Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string NewestPostgresBinDirectory() =>
        Directory.GetDirectories("/usr/lib/postgresql")
            .Where(dir => int.TryParse(Path.GetFileName(dir), out _) && File.Exists(Path.Combine(dir, "bin", "pg_ctl")))
            .OrderByDescending(dir => int.Parse(Path.GetFileName(dir)))
            .Select(dir => Path.Combine(dir, "bin"))
            .FirstOrDefault() ?? throw new InvalidOperationException("No PostgreSQL installation under /usr/lib/postgresql");
}
