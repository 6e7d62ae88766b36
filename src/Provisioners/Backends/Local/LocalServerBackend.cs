using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// A "VM" is a PostgreSQL server process on 127.0.0.1, started detached by pg_ctl so it outlives the broker. server.json
/// marks the server as provisioned and holds its port and chosen settings: every start writes them into broker.conf,
/// and ResurrectStopped restarts only provisioned servers.
/// </summary>
[SubProvisionerImplementation("postgresql-server")]
public sealed partial class LocalServerBackend(IOptions<LocalBackendOptions> options, ILogger<LocalServerBackend> logger)
    : IServerBackend, IRestartableServer, IObservableServer
{
    public string ProcessName => "postmaster";

    public string DataName => "cluster (pgdata)";

    private const string Host = Address;

    /// <summary>The address every server of this backend listens on (each on a port of its own).</summary>
    public const string Address = "127.0.0.1";
    private readonly LocalBackendOptions _options = options.Value;
    private readonly PostgresTools _tools = new(options.Value);
    private readonly PortAllocator _ports = new(options.Value);
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _instanceLocks = new();

    public async Task<ServerEndpoint> Provision(Guid instanceId, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        var chosen = ServerSettings.Validate(settings);
        var instance = Instance(instanceId);
        using var _ = await LockInstance(instanceId, ct);
        var port = await Claim(instance, preferredPort: null, ct);
        return await Configure(instance, port, chosen, ct);
    }

    /// <summary>
    /// A new server's "create VM" for the deployment engine: the instance's port claimed (<paramref name="preferredPort"/>,
    /// the address the engine placed it on, when free; else the first free one) and recorded, on the instance's storage.
    /// Nothing starts yet: the deploy's start does (<see cref="Reconfigure"/> initialises the cluster and starts it). A
    /// claim made before (a step re-run) answers the recorded port.
    /// </summary>
    public async Task<int> ClaimServer(Guid instanceId, int? preferredPort, CancellationToken ct)
    {
        var instance = Instance(instanceId);
        using var _ = await LockInstance(instanceId, ct);
        return await Claim(instance, preferredPort, ct);
    }

    /// <summary>The endpoint recorded for the instance's server here (null: none claimed).</summary>
    public ServerEndpoint? RecordedEndpoint(Guid instanceId) =>
        Instance(instanceId).ReadServer() is { } server ? new ServerEndpoint(Host, server.Port) : null;

    private Task<int> Claim(InstanceDirectory instance, int? preferredPort, CancellationToken ct) =>
        instance.ReadStorage() is null
            ? throw new BackendException($"cannot start the server of instance {instance.InstanceId}: no storage provisioned at {instance.Path}")
            : _ports.PortOf(instance, ct, preferredPort);

    public async Task<ServerEndpoint> Reconfigure(Guid instanceId, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        var chosen = ServerSettings.Validate(settings);
        var instance = Instance(instanceId);
        using var _ = await LockInstance(instanceId, ct);
        var server = instance.ReadServer() ?? throw new BackendException($"cannot reconfigure the server of instance {instanceId}: none is provisioned");
        return await Configure(instance, server.Port, chosen, ct);
    }

    public async Task Deprovision(Guid instanceId, CancellationToken ct)
    {
        var instance = Instance(instanceId);
        if (!Directory.Exists(instance.Path)) return;
        using var _ = await LockInstance(instanceId, ct);
        // Its replicas first, while the primary still runs to drop their slots: no process is left behind.
        await RemoveReplicas(instance, ct);
        await Stop(instance, ct);
        if (instance.ReadServer() is not { } server) return;
        instance.RemoveStaleLockFiles(server.Port);
        File.Delete(instance.ServerFile);
    }

    /// <summary>
    /// A deploy's drain: waits until no client session of the instance's server is inside a transaction, at most
    /// <see cref="LocalBackendOptions.DrainTimeout"/>, then returns either way (the stop that follows rolls back what is
    /// left). Nothing to wait for when the server does not run.
    /// </summary>
    public async Task Drain(Guid instanceId, CancellationToken ct)
    {
        const string sql = "SELECT count(*) FROM pg_stat_activity " +
                           "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND xact_start IS NOT NULL";
        var instance = Instance(instanceId);
        if (instance.ReadServer() is not { } server || !await IsRunning(instance, server.Port, ct)) return;
        var deadline = DateTime.UtcNow + _options.DrainTimeout;
        await using var connection = await Superuser.Connect(instance, server.Port, "postgres", ct);
        while (true)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            var busy = (long)(await command.ExecuteScalarAsync(ct))!;
            if (busy == 0) return;
            if (DateTime.UtcNow >= deadline)
            {
                logger.LogWarning("Drain of instance {InstanceId}: {Sessions} client transactions still open after {Timeout}; stopping anyway",
                    instanceId, busy, _options.DrainTimeout);
                return;
            }
            await Task.Delay(100, ct);
        }
    }

    /// <summary>A deploy's stop: the server process ends (fast shutdown); its record (port, settings) stays for the start that follows. Idempotent.</summary>
    public async Task StopServer(Guid instanceId, CancellationToken ct)
    {
        var instance = Instance(instanceId);
        using var _ = await LockInstance(instanceId, ct);
        await Stop(instance, ct);
    }

    public Task<bool> IsRunning(Guid instanceId, CancellationToken ct)
    {
        var instance = Instance(instanceId);
        return instance.ReadServer() is { } server ? IsRunning(instance, server.Port, ct) : Task.FromResult(false);
    }

    public async Task<int> ResurrectStopped(CancellationToken ct)
    {
        var resurrected = 0;
        foreach (var instance in InstanceDirectory.All(_options.DataRoot))
        {
            using var _ = await LockInstance(instance.InstanceId, ct);
            if (instance.ReadServer() is not { } server || server.Software is not null || await IsRunning(instance, server.Port, ct)) continue;
            if (!instance.IsInitialised)
            {
                // A provisioning cut short before its cluster existed finishes when its step is re-sent; anything else lost
                // its data, and an empty cluster started in its place would look healthy.
                logger.LogWarning("Not restarting the server of instance {InstanceId}: its cluster is missing from {DataDirectory}",
                    instance.InstanceId, instance.DataDirectory);
                continue;
            }
            try
            {
                await Start(instance, server, ct);
                resurrected++;
                logger.LogInformation("Resurrected the server of instance {InstanceId} on port {Port}", instance.InstanceId, server.Port);
            }
            catch (BackendException e)
            {
                logger.LogError(e, "Could not resurrect the server of instance {InstanceId}", instance.InstanceId);
            }
        }
        return resurrected;
    }

    /// <summary>
    /// Why the instance's server does not answer on <paramref name="port"/>, or null when it does: what the resurrector
    /// records as its reason.
    /// </summary>
    public async Task<string?> WhyNotAnswering(Guid instanceId, int port, CancellationToken ct)
    {
        var instance = Instance(instanceId);
        return instance.ReadPostmasterPid() switch
        {
            null => Directory.Exists(instance.DataDirectory) ? "no postmaster.pid: the server was not running" : "its data directory is missing",
            { } pid when !Postmaster.IsAlive(pid) => $"postmaster {pid} is gone",
            { } pid => await Postmaster.Answers(port, ct) ? null : $"postmaster {pid} is alive but does not answer on port {port}",
        };
    }

    /// <summary>
    /// Starts the instance's recorded server again with its settings, unless it runs (then false). Under the instance's
    /// lock, so never in the middle of a provision, reconfiguration or deprovision of this backend; a server whose record
    /// is gone (deprovisioned meanwhile) or names another port, or whose cluster is gone, is not started.
    /// </summary>
    public async Task<bool> Restart(Guid instanceId, int port, CancellationToken ct)
    {
        var instance = Instance(instanceId);
        using var _ = await LockInstance(instanceId, ct);
        if (instance.ReadServer() is not { } server)
            throw new BackendException($"the server of instance {instanceId} is not provisioned here (no server.json in {instance.Path})");
        if (server.Port != port)
            throw new BackendException($"the server of instance {instanceId} is recorded on port {server.Port} here, not {port}");
        if (await IsRunning(instance, port, ct)) return false;
        // Start would initialise a missing cluster: right for a new server, wrong here, where it would replace the
        // instance's data with an empty cluster that looks healthy.
        if (!instance.IsInitialised)
            throw new BackendException($"the cluster of instance {instanceId} is missing from {instance.DataDirectory}: not starting an empty one in its place");
        await Start(instance, server, ct);
        return true;
    }

    /// <summary>The instances this backend has a folder for (folders named as instance ids; anything else is not ours).</summary>
    public IReadOnlyList<Guid> InstanceFolders() => InstanceDirectory.All(_options.DataRoot).Select(instance => instance.InstanceId).ToList();

    /// <summary>
    /// Postmasters running in a data directory of this data root whose instance folder is gone (removed under the running
    /// server): no instance folder shows them, yet they hold a port and memory.
    /// </summary>
    public IReadOnlyList<OrphanPostmaster> OrphanPostmasters()
    {
        var orphans = new List<OrphanPostmaster>();
        foreach (var (pid, dataDirectory) in Postmaster.Below(_options.DataRoot))
        {
            var folder = Path.GetRelativePath(_options.DataRoot, dataDirectory).Split(Path.DirectorySeparatorChar)[0];
            if (Guid.TryParseExact(folder, "D", out var instanceId) && !Directory.Exists(Instance(instanceId).Path))
                orphans.Add(new OrphanPostmaster(instanceId, pid, dataDirectory));
        }
        return orphans;
    }

    /// <summary>What this backend holds of an instance, read from its folder and the processes (null: no folder), for comparing with the log.</summary>
    public async Task<LocalServerObservation?> Observe(Guid instanceId, CancellationToken ct)
    {
        var instance = Instance(instanceId);
        if (!Directory.Exists(instance.Path)) return null;
        var pid = instance.ReadPostmasterPid();
        var alive = pid is { } p && Postmaster.IsAlive(p);
        var recorded = instance.ReadServer()?.Port;
        var listening = alive ? instance.ReadPostmasterPort() : null;
        var answers = alive && (listening ?? recorded) is { } port && await Postmaster.Answers(port, ct);
        return new LocalServerObservation(instance.InstanceId, instance.Path, instance.ReadStorage() is not null,
            instance.IsInitialised, recorded, alive ? pid : null, listening, answers);
    }

    // A stopped server starts with the chosen settings, recorded once it runs: settings it cannot start with are never
    // kept. A running one gets only what differs, checked by postgres first, and restarts only when a changed setting
    // takes effect at postmaster start; the record is written before the restart, so that a broker dying halfway leaves
    // one that a retry or ResurrectStopped completes.
    private async Task<ServerEndpoint> Configure(InstanceDirectory instance, int port, SortedDictionary<string, string> chosen, CancellationToken ct)
    {
        var previous = instance.ReadServer() ?? new ServerRecord(port);
        var next = previous with { Settings = chosen };
        if (!await IsRunning(instance, port, ct))
        {
            await Start(instance, next, ct);
            instance.WriteServer(next);
            return new ServerEndpoint(Host, port);
        }
        var (before, after) = (ServerSettings.Effective(previous.Settings), ServerSettings.Effective(chosen));
        var changed = before.Keys.Union(after.Keys).Where(name => before.GetValueOrDefault(name) != after.GetValueOrDefault(name)).ToArray();
        if (changed.Length == 0)
        {
            instance.WriteServer(next);
            return new ServerEndpoint(Host, port);
        }
        await _tools.WriteConfig(instance, port, after, ct);
        try
        {
            await _tools.CheckConfig(instance, ct);
        }
        catch (BackendException e)
        {
            await _tools.WriteConfig(instance, port, before, ct);
            throw new BackendException($"the server of instance {instance.InstanceId} refuses the settings {string.Join(", ", changed)}: {e.Message}", e);
        }
        // server.json records what the server runs: written once the change took effect. Written before, a broker killed
        // before the restart left a record saying "new settings" on a server still running the old ones, and the step run
        // again found nothing to change (found by the chaos test: max_connections 50 on a server updated to 186).
        var restart = await TakeEffectAtStart(instance, port, changed, ct);
        if (restart.Length == 0)
        {
            await _tools.Reload(instance, ct);
            instance.WriteServer(next);
            return new ServerEndpoint(Host, port);
        }
        logger.LogInformation("Restarting the server of instance {InstanceId} for {Settings}", instance.InstanceId, string.Join(", ", restart));
        await Stop(instance, ct);
        try
        {
            await Start(instance, next, ct);
        }
        catch (BackendException e)
        {
            instance.WriteServer(previous);
            await Start(instance, previous, ct);
            throw new BackendException($"the server of instance {instance.InstanceId} did not restart with {string.Join(", ", changed)}; it runs with its previous settings: {e.Message}", e);
        }
        instance.WriteServer(next);
        return new ServerEndpoint(Host, port);
    }

    private static async Task<string[]> TakeEffectAtStart(InstanceDirectory instance, int port, string[] names, CancellationToken ct)
    {
        const string sql = "SELECT name FROM pg_settings WHERE context = 'postmaster' AND name = ANY($1)";
        await using var connection = await Superuser.Connect(instance, port, "postgres", ct);
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = names } } };
        var postmaster = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) postmaster.Add(reader.GetString(0));
        return [.. postmaster];
    }

    private async Task Start(InstanceDirectory instance, ServerRecord server, CancellationToken ct)
    {
        if (!instance.IsInitialised)
        {
            if (Directory.Exists(instance.DataDirectory)) Directory.Delete(instance.DataDirectory, recursive: true);
            await _tools.InitDb(instance, ct);
        }
        // A postmaster that is alive but does not answer may still be starting (its starter, a broker killed meanwhile,
        // did not wait for it) or be dying with that broker: give it the time a start takes to become ready or go.
        if (instance.ReadPostmasterPid() is { } pid && Postmaster.IsAlive(pid))
        {
            if (await WaitUntilReadyOrGone(instance, pid, server.Port, ct)) return;
            if (Postmaster.IsAlive(pid))
                throw new BackendException($"postmaster {pid} of instance {instance.InstanceId} is alive but does not answer on port {server.Port}");
        }
        await Postmaster.WaitUntilUnused(instance.DataDirectory, _options.StartTimeout, ct);
        await PrepareSocketDirectory(instance, ct);
        instance.RemoveStaleLockFiles(server.Port);
        try
        {
            await _tools.Start(instance, server.Port, ServerSettings.Effective(server.Settings), ct);
        }
        catch (BackendException e)
        {
            // The log's tail stays in the broker's log: it may quote what applications ran (statements, values), and the
            // exception's message becomes an event's reason and the platform's operation description.
            logger.LogError("The server of instance {InstanceId} did not start on port {Port}; the last lines of its server.log:\n{LogTail}",
                instance.InstanceId, server.Port, LogTail(instance));
            throw new BackendException(
                $"the server of instance {instance.InstanceId} did not start on port {server.Port}: {e.Message} (its server.log's last lines are in the broker's log)", e);
        }
    }

    /// <summary>
    /// The socket's directory is made (again: /tmp may be emptied at boot) before every start, closed to everyone but the
    /// server's user: the socket trusts every local connection.
    /// </summary>
    private async Task PrepareSocketDirectory(InstanceDirectory instance, CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("the local backend runs PostgreSQL servers on Linux only");
        Directory.CreateDirectory(InstanceDirectory.SocketRoot);
        if (Directory.Exists(instance.SocketDirectory)) return;
        Directory.CreateDirectory(instance.SocketDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await _tools.GiveToRunAsUser(instance.SocketDirectory, ct);
    }

    /// <returns>Whether the postmaster came to accept connections on its port in time (false when it died or did not).</returns>
    private async Task<bool> WaitUntilReadyOrGone(InstanceDirectory instance, int pid, int port, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + _options.StartTimeout;
        while (Postmaster.IsAlive(pid) && DateTime.UtcNow < deadline)
        {
            if (instance.PostmasterReportsReady() && await Postmaster.Answers(port, ct)) return true;
            await Task.Delay(50, ct);
        }
        return false;
    }

    private async Task Stop(InstanceDirectory instance, CancellationToken ct)
    {
        if (instance.ReadPostmasterPid() is not { } pid || !Postmaster.IsAlive(pid)) return;
        await _tools.Stop(instance, ct);
        await Postmaster.WaitUntilGone(pid, _options.StartTimeout, ct);
    }

    private static async Task<bool> IsRunning(InstanceDirectory instance, int port, CancellationToken ct) =>
        instance.ReadPostmasterPid() is { } pid && Postmaster.IsAlive(pid) && await Postmaster.Answers(port, ct);

    private InstanceDirectory Instance(Guid instanceId) => new(_options.DataRoot, instanceId);

    /// <summary>The instance's folder, where the deployment engine keeps its VM records beside the server's.</summary>
    internal string FolderOf(Guid instanceId) => Instance(instanceId).Path;

    private async Task<IDisposable> LockInstance(Guid instanceId, CancellationToken ct)
    {
        var gate = _instanceLocks.GetOrAdd(instanceId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Releaser(gate);
    }

    private static string LogTail(InstanceDirectory instance) =>
        File.Exists(instance.LogFile) ? string.Join('\n', File.ReadLines(instance.LogFile).TakeLast(10)) : "(no server.log)";

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}

/// <summary>
/// One instance folder of the data root as found: its storage record, cluster, recorded port, live postmaster (its PID
/// and the port it listens on, from postmaster.pid) and whether that port answers.
/// </summary>
public sealed record LocalServerObservation(
    Guid InstanceId, string Path, bool HasStorage, bool HasCluster, int? RecordedPort, int? PostmasterPid, int? ListeningPort, bool Answers);

/// <summary>A live postmaster whose instance folder was removed under it.</summary>
public sealed record OrphanPostmaster(Guid InstanceId, int Pid, string DataDirectory);
