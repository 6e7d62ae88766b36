using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Backends.Simulated;

/// <summary>
/// Storage, servers, their settings and logins as entries in this process's memory, each step after the configured
/// latency: the model of one worker (see <see cref="SharedSimulatedBackend"/> for several).
/// </summary>
public sealed class SimulatedBackend(IOptions<SimulatedBackendOptions> options) : IStorageBackend, IServerBackend, IDatabaseBackend, IServerLogins
{
    internal const int FirstPort = 20000;
    private readonly ConcurrentDictionary<Guid, int> _storage = new();
    private readonly ConcurrentDictionary<Guid, Server> _servers = new();
    private readonly ConcurrentDictionary<(Guid InstanceId, string Username), Login> _logins = new();
    private int _nextPort = FirstPort;

    /// <summary>What the instance's server runs with (the chosen settings over the defaults), or null when it does not run.</summary>
    public IReadOnlyDictionary<string, string>? SettingsOf(Guid instanceId) =>
        _servers.TryGetValue(instanceId, out var server) ? ServerSettings.Effective(server.Settings) : null;

    /// <summary>Whether a session of <paramref name="username"/> on <paramref name="database"/> would be let in at <paramref name="at"/>.</summary>
    public bool CanLogIn(Guid instanceId, string database, string username, string password, DateTimeOffset at) =>
        _servers.ContainsKey(instanceId)
        && _logins.TryGetValue((instanceId, username), out var login)
        && login.Database == database && login.Password == password && (login.ValidUntil is not { } until || until > at);

    async Task<StorageAllocation> IStorageBackend.Provision(Guid instanceId, int diskMb, CancellationToken ct)
    {
        await Step(ct);
        _storage[instanceId] = diskMb;
        return new StorageAllocation($"/simulated/{instanceId}", diskMb);
    }

    async Task IStorageBackend.Deprovision(Guid instanceId, CancellationToken ct)
    {
        await Step(ct);
        if (_servers.ContainsKey(instanceId)) throw new BackendException($"the server of instance {instanceId} still runs on its storage");
        _storage.TryRemove(instanceId, out _);
        foreach (var key in _logins.Keys.Where(key => key.InstanceId == instanceId)) _logins.TryRemove(key, out _);
    }

    async Task<ServerEndpoint> IServerBackend.Provision(Guid instanceId, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        var chosen = ServerSettings.Validate(settings);
        await Step(ct);
        if (!_storage.ContainsKey(instanceId)) throw new BackendException($"no storage provisioned for instance {instanceId}{InThisProcessOnly}");
        if (_servers.Count >= options.Value.Capacity && !_servers.ContainsKey(instanceId))
            throw new BackendException($"capacity of {options.Value.Capacity} simulated servers reached");
        return _servers.AddOrUpdate(instanceId,
            _ => new Server(new ServerEndpoint("127.0.0.1", Interlocked.Increment(ref _nextPort)), chosen),
            (_, running) => running with { Settings = chosen }).Endpoint;
    }

    async Task<ServerEndpoint> IServerBackend.Reconfigure(Guid instanceId, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        var chosen = ServerSettings.Validate(settings);
        await Step(ct);
        while (true)
        {
            if (!_servers.TryGetValue(instanceId, out var running))
                throw new BackendException($"cannot reconfigure the server of instance {instanceId}: none is provisioned");
            if (_servers.TryUpdate(instanceId, running with { Settings = chosen }, running)) return running.Endpoint;
        }
    }

    async Task IServerBackend.Deprovision(Guid instanceId, CancellationToken ct)
    {
        await Step(ct);
        _servers.TryRemove(instanceId, out _);
    }

    Task<bool> IServerBackend.IsRunning(Guid instanceId, CancellationToken ct) => Task.FromResult(_servers.ContainsKey(instanceId));

    Task<int> IServerBackend.ResurrectStopped(CancellationToken ct) => Task.FromResult(0);

    async Task<DatabaseAccess> IDatabaseBackend.Provision(Guid instanceId, string database, string adminUsername, string adminPassword, CancellationToken ct)
    {
        await Step(ct);
        EnsureRunning(instanceId);
        return new DatabaseAccess(database, adminUsername);
    }

    async Task IDatabaseBackend.Deprovision(Guid instanceId, string database, string adminUsername, bool serverStays, CancellationToken ct)
    {
        await Step(ct);
        foreach (var (key, login) in _logins.Where(entry => entry.Key.InstanceId == instanceId && entry.Value.Database == database))
            _logins.TryRemove(KeyValuePair.Create(key, login));
    }

    async Task IDatabaseBackend.CreateLogin(Guid instanceId, string database, string adminUsername, string username, string password,
        DateTimeOffset? validUntil, CancellationToken ct)
    {
        await Step(ct);
        EnsureRunning(instanceId);
        _logins[(instanceId, username)] = new Login(database, password, validUntil);
    }

    async Task IDatabaseBackend.DropLogin(Guid instanceId, string database, string adminUsername, string username, CancellationToken ct)
    {
        await Step(ct);
        _logins.TryRemove((instanceId, username), out _);
    }

    /// <summary>A user of the server itself (a provisioner without a database, e.g. Redis): a login with no database.</summary>
    Task IServerLogins.CreateLogin(Guid instanceId, string username, string password, DateTimeOffset? validUntil, CancellationToken ct) =>
        ((IDatabaseBackend)this).CreateLogin(instanceId, "", "", username, password, validUntil, ct);

    Task IServerLogins.DropLogin(Guid instanceId, string username, CancellationToken ct) =>
        ((IDatabaseBackend)this).DropLogin(instanceId, "", "", username, ct);

    private void EnsureRunning(Guid instanceId)
    {
        if (!_servers.ContainsKey(instanceId)) throw new BackendException($"the server of instance {instanceId} is not running{InThisProcessOnly}");
    }

    /// <summary>What a step that misses a resource says: another worker may hold it, which this model cannot know.</summary>
    private const string InThisProcessOnly =
        " (in this process's memory: with more than one worker, set Provisioners:Simulated:Shared=true so all see one simulated IaaS)";

    private Task Step(CancellationToken ct) =>
        options.Value.StepLatency > TimeSpan.Zero ? Task.Delay(options.Value.StepLatency, ct) : Task.CompletedTask;

    private sealed record Server(ServerEndpoint Endpoint, IReadOnlyDictionary<string, string> Settings);

    private sealed record Login(string Database, string Password, DateTimeOffset? ValidUntil);
}
