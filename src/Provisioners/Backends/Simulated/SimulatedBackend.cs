using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Backends.Simulated;

/// <summary>Storage, servers and databases as entries in memory, each step after the configured latency.</summary>
public sealed class SimulatedBackend(IOptions<SimulatedBackendOptions> options) : IStorageBackend, IServerBackend, IDatabaseBackend
{
    private const int FirstPort = 20000;
    private readonly ConcurrentDictionary<Guid, int> _storage = new();
    private readonly ConcurrentDictionary<Guid, ServerEndpoint> _servers = new();
    private int _nextPort = FirstPort;

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
    }

    async Task<ServerEndpoint> IServerBackend.Provision(Guid instanceId, CancellationToken ct)
    {
        await Step(ct);
        if (!_storage.ContainsKey(instanceId)) throw new BackendException($"no storage provisioned for instance {instanceId}");
        if (_servers.Count >= options.Value.Capacity && !_servers.ContainsKey(instanceId))
            throw new BackendException($"capacity of {options.Value.Capacity} simulated servers reached");
        return _servers.GetOrAdd(instanceId, _ => new ServerEndpoint("127.0.0.1", Interlocked.Increment(ref _nextPort)));
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
        if (!_servers.ContainsKey(instanceId)) throw new BackendException($"the server of instance {instanceId} is not running");
        return new DatabaseAccess(database, adminUsername);
    }

    Task IDatabaseBackend.Deprovision(Guid instanceId, string database, string adminUsername, CancellationToken ct) => Step(ct);

    private Task Step(CancellationToken ct) =>
        options.Value.StepLatency > TimeSpan.Zero ? Task.Delay(options.Value.StepLatency, ct) : Task.CompletedTask;
}
