using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using EventSourced.Commands.Secrets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Backends.Local.Redis;

/// <summary>
/// A dedicated Redis server (Debian's <c>redis-server</c>) on 127.0.0.1, its data (append-only file) in the instance's
/// storage directory under <c>redis/</c>, started detached so it outlives the broker. Its port comes from the same
/// allocator as PostgreSQL's and is recorded in server.json with <c>software: redis</c>.
/// <para>
/// Nobody gets in without a password: the <c>default</c> user is off, the broker administers the server as
/// <c>broker-admin</c> (its password derived from the secret key per instance, only its SHA-256 in the ACL file), and each
/// binding is an ACL user of its own (<see cref="IServerLogins"/>), kept in the ACL file so it survives restarts.
/// </para>
/// </summary>
[SubProvisionerImplementation("redis-server")]
public sealed partial class RedisServerBackend(
    IOptions<LocalBackendOptions> options, SecretProtector secrets, ILogger<RedisServerBackend> logger)
    : IServerBackend, IServerLogins, IRestartableServer, IObservableServer
{
    public const string Software = "redis";
    public const string AdminUser = "broker-admin";
    private const string Host = "127.0.0.1";
    private const string Executable = "/usr/bin/redis-server";

    /// <summary>The parameters (from the provisioner's offerings) that are Redis settings, by parameter name.</summary>
    private static readonly Dictionary<string, string> Settings = new() { ["maxmemory_policy"] = "maxmemory-policy" };

    private readonly LocalBackendOptions _options = options.Value;
    private readonly PostgresTools _tools = new(options.Value);
    private readonly PortAllocator _ports = new(options.Value);
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _instanceLocks = new();

    IReadOnlyDictionary<string, string> IServerBackend.SettingsOf(string? parameters)
    {
        var settings = new Dictionary<string, string>();
        if (string.IsNullOrWhiteSpace(parameters)) return settings;
        using var document = JsonDocument.Parse(parameters);
        foreach (var property in document.RootElement.EnumerateObject())
            if (Settings.TryGetValue(property.Name, out var setting) && property.Value.ValueKind == JsonValueKind.String)
                settings[setting] = property.Value.GetString()!;
        return settings;
    }

    public async Task<ServerEndpoint> Provision(Guid instanceId, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        var chosen = Validate(settings);
        var instance = Instance(instanceId);
        if (instance.ReadStorage() is null)
            throw new BackendException($"cannot start the redis server of instance {instanceId}: no storage provisioned at {instance.Path}");
        using var _ = await LockInstance(instanceId, ct);
        var port = await _ports.PortOf(instance, ct);
        var record = new ServerRecord(port, chosen, Software);
        if (!await IsRunning(instance, port, ct)) await Start(instance, record, ct);
        else await Apply(instance, port, chosen, ct);
        instance.WriteServer(record);
        return new ServerEndpoint(Host, port);
    }

    public async Task<ServerEndpoint> Reconfigure(Guid instanceId, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        var chosen = Validate(settings);
        var instance = Instance(instanceId);
        using var _ = await LockInstance(instanceId, ct);
        var server = instance.ReadServer() ?? throw new BackendException($"cannot reconfigure the redis server of instance {instanceId}: none is provisioned");
        var record = server with { Settings = chosen, Software = Software };
        if (await IsRunning(instance, server.Port, ct)) await Apply(instance, server.Port, chosen, ct);
        else await Start(instance, record, ct);
        instance.WriteServer(record);
        return new ServerEndpoint(Host, server.Port);
    }

    public async Task Deprovision(Guid instanceId, CancellationToken ct)
    {
        var instance = Instance(instanceId);
        if (!Directory.Exists(instance.Path)) return;
        using var _ = await LockInstance(instanceId, ct);
        await Stop(instance, ct);
        if (File.Exists(instance.ServerFile)) File.Delete(instance.ServerFile);
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
            if (instance.ReadServer() is not { Software: Software } server) continue;
            try
            {
                if (await Restart(instance.InstanceId, server.Port, ct))
                {
                    resurrected++;
                    logger.LogInformation("Resurrected the redis server of instance {InstanceId} on port {Port}", instance.InstanceId, server.Port);
                }
            }
            catch (BackendException e)
            {
                logger.LogError(e, "Could not resurrect the redis server of instance {InstanceId}", instance.InstanceId);
            }
        }
        return resurrected;
    }

    public string ProcessName => "redis-server";

    public string DataName => "redis data directory (redis/)";

    /// <summary>The instance's folder, its redis/ directory, the port in server.json, the live redis-server (it listens on that port) and whether it answers.</summary>
    public async Task<LocalServerObservation?> Observe(Guid instanceId, CancellationToken ct)
    {
        var instance = Instance(instanceId);
        if (!Directory.Exists(instance.Path)) return null;
        var files = new RedisFiles(instance);
        var pid = files.ReadPid() is { } p && IsAlive(p) ? p : (int?)null;
        var recorded = instance.ReadServer()?.Port;
        var answers = pid is not null && recorded is { } port && await Answers(instance, port, ct);
        return new LocalServerObservation(instanceId, instance.Path, instance.ReadStorage() is not null, Directory.Exists(files.Directory),
            recorded, pid, pid is null ? null : recorded, answers);
    }

    public async Task<string?> WhyNotAnswering(Guid instanceId, int port, CancellationToken ct)
    {
        var files = new RedisFiles(Instance(instanceId));
        return files.ReadPid() switch
        {
            null => "no redis.pid: the redis server was not running",
            { } pid when !IsAlive(pid) => $"redis-server {pid} is gone",
            { } pid => await Answers(Instance(instanceId), port, ct) ? null : $"redis-server {pid} is alive but does not answer on port {port}",
        };
    }

    public async Task<bool> Restart(Guid instanceId, int port, CancellationToken ct)
    {
        var instance = Instance(instanceId);
        using var _ = await LockInstance(instanceId, ct);
        if (instance.ReadServer() is not { } server)
            throw new BackendException($"the redis server of instance {instanceId} is not provisioned here (no server.json in {instance.Path})");
        if (server.Port != port)
            throw new BackendException($"the redis server of instance {instanceId} is recorded on port {server.Port} here, not {port}");
        if (await IsRunning(instance, port, ct)) return false;
        // Its data (the append-only file) is what a restart brings back: without the directory it would start empty.
        if (!Directory.Exists(new RedisFiles(instance).Directory))
            throw new BackendException($"the redis data of instance {instanceId} is missing from {instance.Path}: not starting an empty server in its place");
        await Start(instance, server, ct);
        return true;
    }

    public async Task CreateLogin(Guid instanceId, string username, string password, DateTimeOffset? validUntil, CancellationToken ct)
    {
        // Under the instance's lock, as its lifetime is recorded: the expiry pass never sees a user without its lifetime.
        using var _ = await LockInstance(instanceId, ct);
        await using var admin = await Admin(instanceId, ct);
        // reset: a repeated step sets the same user again from scratch. Every key and channel, every command but the
        // dangerous ones (CONFIG, SHUTDOWN, ACL, DEBUG, FLUSHALL…), which stay the broker's.
        await admin.Expect(ct, "ACL", "SETUSER", username, "reset", "on", $">{password}", "~*", "&*", "+@all", "-@dangerous");
        await admin.Expect(ct, "ACL", "SAVE");
        await RedisLoginLifetimes.Set(new RedisFiles(Instance(instanceId)), username, validUntil, ct);
    }

    public async Task DropLogin(Guid instanceId, string username, CancellationToken ct)
    {
        var instance = Instance(instanceId);
        if (instance.ReadServer() is not { } server || !await IsRunning(instance, server.Port, ct)) return;
        // Under the instance's lock: the expiry pass must not turn off (ACL SETUSER: create again) a user deleted meanwhile.
        using var _ = await LockInstance(instanceId, ct);
        await using var admin = await Admin(instanceId, ct);
        // Deleting the user also closes its connections.
        await admin.Expect(ct, "ACL", "DELUSER", username);
        await admin.Expect(ct, "ACL", "SAVE");
        await RedisLoginLifetimes.Set(new RedisFiles(instance), username, null, ct);
    }

    /// <summary>
    /// Turns off the bindings' users whose credential lifetime ended by <paramref name="now"/> on every running Redis server
    /// here (<c>ACL SETUSER off</c>: AUTH refused, as PostgreSQL's VALID UNTIL refuses a login) and closes their connections;
    /// a server that is down is done at a later pass. Answers how many users were turned off.
    /// </summary>
    public async Task<int> ExpireLogins(DateTimeOffset now, CancellationToken ct)
    {
        var expired = 0;
        foreach (var instance in InstanceDirectory.All(_options.DataRoot))
        {
            if (instance.ReadServer() is not { Software: Software } server) continue;
            var files = new RedisFiles(instance);
            if (!(await RedisLoginLifetimes.Read(files, ct)).Values.Any(until => until <= now)) continue;
            using var _ = await LockInstance(instance.InstanceId, ct);
            var due = (await RedisLoginLifetimes.Read(files, ct)).Where(login => login.Value <= now).Select(login => login.Key).ToList();
            if (due.Count == 0 || !await IsRunning(instance, server.Port, ct)) continue;
            await using (var admin = await Admin(instance.InstanceId, ct))
            {
                foreach (var username in due)
                {
                    await admin.Expect(ct, "ACL", "SETUSER", username, "off");
                    await admin.Expect(ct, "CLIENT", "KILL", "USER", username);
                }
                await admin.Expect(ct, "ACL", "SAVE");
            }
            foreach (var username in due) await RedisLoginLifetimes.Set(files, username, null, ct);
            expired += due.Count;
            logger.LogInformation("Turned off {Count} expired binding users of the redis server of instance {InstanceId}: {Users}",
                due.Count, instance.InstanceId, string.Join(", ", due));
        }
        return expired;
    }

    private async Task<RespClient> Admin(Guid instanceId, CancellationToken ct)
    {
        var instance = Instance(instanceId);
        var server = instance.ReadServer() ?? throw new BackendException($"the redis server of instance {instanceId} is not provisioned");
        var client = await RespClient.Connect(Host, server.Port, ct);
        try
        {
            await client.Expect(ct, "AUTH", AdminUser, AdminPassword(instanceId));
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    internal string AdminPassword(Guid instanceId) => secrets.DerivePassword($"redis-admin/{instanceId:D}");

    /// <summary>The port of the instance's server as recorded in its server.json, or null when none is provisioned here.</summary>
    internal int? PortOf(Guid instanceId) => Instance(instanceId).ReadServer()?.Port;

    /// <summary>The server's <c>redis_version</c> (INFO server), as its admin user reads it.</summary>
    internal async Task<string> Version(Guid instanceId, CancellationToken ct)
    {
        await using var admin = await Admin(instanceId, ct);
        return Info(await admin.Expect(ct, "INFO", "server"), "redis_version")
               ?? throw new BackendException($"the redis server of instance {instanceId} names no redis_version in INFO server");
    }

    /// <summary>
    /// Replaces the dataset of the instance's server with an RDB file (an import, before the server is reported started).
    /// With the append-only file on, Redis loads that file at a start and never the RDB: so the server starts once with it
    /// off and the RDB in place, then turns it on (CONFIG SET appendonly yes), which rewrites the append-only file from the
    /// loaded dataset; only when that rewrite ended is the dataset the one a restart (the resurrector's) brings back.
    /// Idempotent: a repeated run stops the server and loads the file again.
    /// </summary>
    internal async Task LoadDataset(Guid instanceId, string rdb, TimeSpan rewriteTimeout, CancellationToken ct)
    {
        var instance = Instance(instanceId);
        using var _ = await LockInstance(instanceId, ct);
        var server = instance.ReadServer() ?? throw new BackendException($"cannot restore into the redis server of instance {instanceId}: none is provisioned");
        var files = new RedisFiles(instance);
        await Stop(instance, ct);
        foreach (var path in files.AppendOnly)
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else if (File.Exists(path)) File.Delete(path);
        }
        File.Copy(rdb, files.Dump, overwrite: true);
        await _tools.GiveToRunAsUser(files.Dump, ct);
        await Start(instance, server, ct, appendOnly: false);
        await using (var admin = await Admin(instanceId, ct))
        {
            await admin.Expect(ct, "CONFIG", "SET", "appendonly", "yes");
            var deadline = DateTime.UtcNow + rewriteTimeout;
            while (true)
            {
                var info = await admin.Expect(ct, "INFO", "persistence");
                if (Info(info, "aof_last_bgrewrite_status") is "err" && Info(info, "aof_rewrite_in_progress") is "0")
                    throw new BackendException($"the redis server of instance {instanceId} could not write its append-only file from the snapshot (see its server.log)");
                if (Info(info, "aof_enabled") is "1" && Info(info, "aof_rewrite_in_progress") is "0" && Info(info, "aof_rewrite_scheduled") is "0") break;
                if (DateTime.UtcNow > deadline)
                    throw new BackendException($"the redis server of instance {instanceId} did not write its append-only file within {rewriteTimeout}");
                await Task.Delay(100, ct);
            }
        }
        // The configuration of every later start: the append-only file on again.
        await File.WriteAllTextAsync(files.Config, Config(files, server), ct);
        logger.LogInformation("The redis server of instance {InstanceId} loaded its dataset from a snapshot and keeps it in its append-only file", instanceId);
    }

    /// <summary>A field of an INFO reply (<c>name:value</c> lines), or null.</summary>
    private static string? Info(object? reply, string field) =>
        (reply as string)?.Split('\n').Select(line => line.TrimEnd('\r')).FirstOrDefault(line => line.StartsWith(field + ":", StringComparison.Ordinal))?[(field.Length + 1)..];

    /// <param name="appendOnly">Off only for an import's start, which loads dump.rdb (<see cref="LoadDataset"/>).</param>
    private async Task Start(InstanceDirectory instance, ServerRecord server, CancellationToken ct, bool appendOnly = true)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("the local backend runs redis servers on Linux only");
        var files = new RedisFiles(instance);
        Directory.CreateDirectory(files.Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await _tools.GiveToRunAsUser(files.Directory, ct);
        if (files.ReadPid() is { } stale && IsAlive(stale))
        {
            // Alive but not answering: a start cut short, or one that is dying; it goes before a new one starts.
            await Signal(stale, ct);
            await WaitUntilGone(stale, ct);
        }
        await File.WriteAllTextAsync(files.Config, Config(files, server, appendOnly), ct);
        await WriteUsers(files, instance.InstanceId, ct);
        foreach (var file in new[] { files.Config, files.Users }) await _tools.GiveToRunAsUser(file, ct);
        // daemonize: redis-server forks and the parent returns at once; the pid file and a PING say when it runs.
        var user = string.IsNullOrWhiteSpace(_options.RunAsUser) ? null : _options.RunAsUser;
        await (user is null
            ? ProcessRunner.Run(Executable, [files.Config], files.Directory, _options.StartTimeout, ct)
            : ProcessRunner.Run("runuser", ["-u", user, "--", Executable, files.Config], files.Directory, _options.StartTimeout, ct));
        var deadline = DateTime.UtcNow + _options.StartTimeout;
        while (!await IsRunning(instance, server.Port, ct))
        {
            if (DateTime.UtcNow > deadline)
            {
                logger.LogError("The redis server of instance {InstanceId} did not start on port {Port}; the last lines of its server.log:\n{LogTail}",
                    instance.InstanceId, server.Port, files.LogTail());
                throw new BackendException(
                    $"the redis server of instance {instance.InstanceId} did not start on port {server.Port} within {_options.StartTimeout.TotalSeconds:0} s (its server.log's last lines are in the broker's log)");
            }
            await Task.Delay(50, ct);
        }
    }

    private static string Config(RedisFiles files, ServerRecord server, bool appendOnly = true) =>
        $"""
        # Written by the service broker at every start.
        bind 127.0.0.1
        port {server.Port}
        protected-mode yes
        daemonize yes
        pidfile {Quoted(files.Pid)}
        logfile {Quoted(files.Log)}
        dir {Quoted(files.Directory)}
        appendonly {(appendOnly ? "yes" : "no")}
        aclfile {Quoted(files.Users)}

        """ + string.Concat((server.Settings ?? new Dictionary<string, string>()).Select(s => $"{s.Key} {s.Value}\n"));

    /// <summary>A path as a double-quoted string of redis.conf (which reads escapes in it).</summary>
    private static string Quoted(string path) => $"\"{path.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"";

    /// <summary>
    /// The ACL file with the default user off and the broker's admin user set from the key; the bindings' users (kept there
    /// by ACL SAVE) stay as they are.
    /// </summary>
    private async Task WriteUsers(RedisFiles files, Guid instanceId, CancellationToken ct)
    {
        var bindings = File.Exists(files.Users)
            ? (await File.ReadAllLinesAsync(files.Users, ct)).Where(line => !line.StartsWith("user default ") && !line.StartsWith($"user {AdminUser} "))
            : [];
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(AdminPassword(instanceId))));
        string[] lines = ["user default off resetpass nocommands", $"user {AdminUser} on #{hash} ~* &* +@all", .. bindings];
        var temporary = $"{files.Users}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllLinesAsync(temporary, lines, ct);
        File.Move(temporary, files.Users, overwrite: true);
    }

    /// <summary>Applies the settings to the running server (CONFIG SET) and keeps them for the next start (the config is rewritten then).</summary>
    private async Task Apply(InstanceDirectory instance, int port, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        await using var admin = await Admin(instance.InstanceId, ct);
        foreach (var (name, value) in settings) await admin.Expect(ct, "CONFIG", "SET", name, value);
        var files = new RedisFiles(instance);
        await File.WriteAllTextAsync(files.Config, Config(files, new ServerRecord(port, settings, Software)), ct);
    }

    private async Task Stop(InstanceDirectory instance, CancellationToken ct)
    {
        if (new RedisFiles(instance).ReadPid() is not { } pid || !IsAlive(pid)) return;
        // SIGTERM: redis flushes its append-only file and exits.
        await Signal(pid, ct);
        await WaitUntilGone(pid, ct);
    }

    private Task Signal(int pid, CancellationToken ct) =>
        ProcessRunner.Run("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], "/", _options.StartTimeout, ct);

    private async Task WaitUntilGone(int pid, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + _options.StartTimeout;
        while (IsAlive(pid))
        {
            if (DateTime.UtcNow > deadline) throw new BackendException($"redis-server {pid} still alive {_options.StartTimeout.TotalSeconds:0} s after SIGTERM");
            await Task.Delay(50, ct);
        }
    }

    private async Task<bool> IsRunning(InstanceDirectory instance, int port, CancellationToken ct) =>
        new RedisFiles(instance).ReadPid() is { } pid && IsAlive(pid) && await Answers(instance, port, ct);

    /// <summary>Whether the server answers PING as the broker's admin user (a port that merely accepts is not enough).</summary>
    private async Task<bool> Answers(InstanceDirectory instance, int port, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await using var client = await RespClient.Connect(Host, port, timeout.Token);
            return await client.Send(timeout.Token, "AUTH", AdminUser, AdminPassword(instance.InstanceId)) is "OK"
                   && await client.Send(timeout.Token, "PING") is "PONG";
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException
                                      || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>Alive as /proc says (a zombie is not), and a redis-server: a stale pid file whose PID was reused is not ours.</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var status = File.ReadLines($"/proc/{pid}/status").Take(3).ToList();
            var name = status.FirstOrDefault(line => line.StartsWith("Name:"))?["Name:".Length..].Trim();
            var state = status.FirstOrDefault(line => line.StartsWith("State:"))?["State:".Length..].Trim();
            return name is "redis-server" && state is not null && !state.StartsWith('Z') && !state.StartsWith('X');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static SortedDictionary<string, string> Validate(IReadOnlyDictionary<string, string> settings)
    {
        var chosen = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in settings)
        {
            if (!Settings.ContainsValue(name)) throw new BackendException($"'{name}' is not a redis setting the broker manages");
            if (!SafeValue().IsMatch(value)) throw new BackendException($"'{value}' is not a valid value of {name}");
            chosen[name] = value;
        }
        return chosen;
    }

    [GeneratedRegex("^[a-z0-9-]{1,40}$")]
    private static partial Regex SafeValue();

    private InstanceDirectory Instance(Guid instanceId) => new(_options.DataRoot, instanceId);

    private async Task<IDisposable> LockInstance(Guid instanceId, CancellationToken ct)
    {
        var gate = _instanceLocks.GetOrAdd(instanceId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Releaser(gate);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
