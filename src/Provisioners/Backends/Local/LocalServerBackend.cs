using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// A "VM" is a PostgreSQL server process on 127.0.0.1, started detached by pg_ctl so it outlives the broker. server.json
/// marks the server as provisioned (and holds its port): ResurrectStopped restarts only those.
/// </summary>
public sealed class LocalServerBackend(IOptions<LocalBackendOptions> options, ILogger<LocalServerBackend> logger) : IServerBackend
{
    private const string Host = "127.0.0.1";
    private readonly LocalBackendOptions _options = options.Value;
    private readonly PostgresTools _tools = new(options.Value);
    private readonly PortAllocator _ports = new(options.Value);
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _instanceLocks = new();

    public async Task<ServerEndpoint> Provision(Guid instanceId, CancellationToken ct)
    {
        var instance = Instance(instanceId);
        if (instance.ReadStorage() is null)
            throw new BackendException($"cannot start the server of instance {instanceId}: no storage provisioned at {instance.Path}");
        using var _ = await LockInstance(instanceId, ct);
        var port = await _ports.PortOf(instance, ct);
        if (await IsRunning(instance, port, ct)) return new ServerEndpoint(Host, port);

        if (!instance.IsInitialised)
        {
            if (Directory.Exists(instance.DataDirectory)) Directory.Delete(instance.DataDirectory, recursive: true);
            await _tools.InitDb(instance, ct);
        }
        if (instance.ReadPostmasterPid() is { } pid && Postmaster.IsAlive(pid))
            throw new BackendException($"postmaster {pid} of instance {instanceId} is alive but does not answer on port {port}");
        instance.RemoveStaleLockFiles(port);
        try
        {
            await _tools.Start(instance, port, ct);
        }
        catch (BackendException e)
        {
            throw new BackendException($"the server of instance {instanceId} did not start on port {port}: {e.Message}\n{LogTail(instance)}", e);
        }
        return new ServerEndpoint(Host, port);
    }

    public async Task Deprovision(Guid instanceId, CancellationToken ct)
    {
        var instance = Instance(instanceId);
        if (!Directory.Exists(instance.Path)) return;
        using var _ = await LockInstance(instanceId, ct);
        if (instance.ReadPostmasterPid() is { } pid && Postmaster.IsAlive(pid))
        {
            await _tools.Stop(instance, ct);
            await Postmaster.WaitUntilGone(pid, _options.StartTimeout, ct);
        }
        if (instance.ReadServer() is not { } server) return;
        instance.RemoveStaleLockFiles(server.Port);
        File.Delete(instance.ServerFile);
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
            if (instance.ReadServer() is not { } server || await IsRunning(instance, server.Port, ct)) continue;
            try
            {
                await Provision(instance.InstanceId, ct);
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

    private static async Task<bool> IsRunning(InstanceDirectory instance, int port, CancellationToken ct) =>
        instance.ReadPostmasterPid() is { } pid && Postmaster.IsAlive(pid) && await Postmaster.Answers(port, ct);

    private InstanceDirectory Instance(Guid instanceId) => new(_options.DataRoot, instanceId);

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
