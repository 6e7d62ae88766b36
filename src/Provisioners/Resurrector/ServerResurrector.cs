using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Local;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using InstanceDirectoryView = EventSourced.Projections.ServiceInstances.InstanceDirectory;

namespace EventSourced.Provisioners.Resurrector;

/// <summary>
/// Like BOSH's resurrector: on the worker node of the local backend, every <see cref="ResurrectorOptions.Interval"/> it
/// checks each dedicated server the log says runs, and starts again on its port one whose postmaster does not answer
/// (killed, crashed), recording <see cref="ServerResurrected"/> on the instance's stream.
/// <para>
/// The candidates come from the instance directory (the log's view of where servers run); the decision is taken on the
/// instance's stream itself, read fresh: only a provisioned instance with no operation in progress is touched (one being
/// provisioned, rolled back, updated or deprovisioned is the saga's), and the same rule decides the append, at the
/// version it was read at: an operation that began meanwhile wins, and its own step then starts or stops the server.
/// </para>
/// </summary>
public sealed class ServerResurrector(
    InstanceDirectoryView directory, ServiceInstanceStore instances, ProvisionerBackends backends,
    IOptions<ResurrectorOptions> options, TimeProvider clock, ILogger<ServerResurrector> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            log.LogInformation("The server resurrector is off ({Section}:Enabled=false): dead dedicated servers stay down", ResurrectorOptions.Section);
            return;
        }
        using var timer = new PeriodicTimer(options.Value.Interval, clock);
        do
        {
            try
            {
                await ResurrectDeadServers(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Resurrector pass failed; retrying next interval");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass over the servers the log says run; returns the instances whose server it brought back.</summary>
    public async Task<IReadOnlyList<Guid>> ResurrectDeadServers(CancellationToken ct)
    {
        var resurrected = new List<Guid>();
        foreach (var row in await directory.List(int.MaxValue, ct))
        {
            if (row.Port is not { } port || row.Status != nameof(InstanceStatus.Provisioned)) continue;
            // Each instance's own server implementation (PostgreSQL, Redis…) says whether it answers and starts it again.
            if (backends.ServerOf(row.ServiceId) is not IRestartableServer servers) continue;
            if (servers is LocalServerBackend local && await ResurrectDeadReplicas(local, row.InstanceId, ct)) resurrected.Add(row.InstanceId);
            if (await servers.WhyNotAnswering(row.InstanceId, port, ct) is not { } reason) continue;
            if (await Resurrect(servers, row.InstanceId, port, reason, ct)) resurrected.Add(row.InstanceId);
        }
        return resurrected.Distinct().ToList();
    }

    /// <summary>The instance's replicas on this host that do not answer, started again on their ports (by the same rule: idle instances only).</summary>
    private async Task<bool> ResurrectDeadReplicas(LocalServerBackend servers, Guid instanceId, CancellationToken ct)
    {
        var any = false;
        foreach (var dead in (await servers.ReplicasOf(instanceId, ct)).Where(r => !r.Answers))
        {
            var reason = $"replica {dead.Index} did not answer on port {dead.Port}";
            var command = new RecordReplicaResurrection(Guid.NewGuid(), dead.Index, dead.Port, reason, clock.GetUtcNow());
            if (ReplicaDecisions.Decide((await instances.Load(instanceId, ct)).State, command) is Decision.Rejected skipped)
            {
                log.LogInformation("Not resurrecting replica {Index} of instance {InstanceId}: {Why}", dead.Index, instanceId, skipped.Error.Description);
                continue;
            }
            try
            {
                if (!await servers.RestartReplica(instanceId, dead.Index, dead.Port, ct)) continue;
            }
            catch (BackendException e)
            {
                log.LogError(e, "Could not resurrect replica {Index} of instance {InstanceId} on port {Port}", dead.Index, instanceId, dead.Port);
                continue;
            }
            await instances.Handle(instanceId, current => ReplicaDecisions.Decide(current, command with { Now = clock.GetUtcNow() }),
                new EventMetadata(command.ResurrectionId), ct: ct);
            log.LogWarning("Resurrected replica {Index} of instance {InstanceId} on port {Port}", dead.Index, instanceId, dead.Port);
            any = true;
        }
        return any;
    }

    private async Task<bool> Resurrect(IRestartableServer servers, Guid instanceId, int port, string reason, CancellationToken ct)
    {
        var (state, _) = await instances.Load(instanceId, ct);
        var command = new RecordServerResurrection(instanceId, Guid.NewGuid(), port, reason, clock.GetUtcNow());
        if (ServiceInstanceDecisions.Decide(state, command) is Decision.Rejected skipped)
        {
            log.LogInformation("Not resurrecting the server of instance {InstanceId} ({Reason}): {Why}", instanceId, reason, skipped.Error.Description);
            return false;
        }
        try
        {
            if (!await servers.Restart(instanceId, port, ct)) return false;
        }
        catch (BackendException e)
        {
            log.LogError(e, "Could not resurrect the server of instance {InstanceId} on port {Port} ({Reason})", instanceId, port, reason);
            return false;
        }
        var decision = await instances.Handle(instanceId, current => ServiceInstanceDecisions.Decide(current, command with { Now = clock.GetUtcNow() }),
            new EventMetadata(command.ResurrectionId), ct: ct);
        if (decision is Decision.Rejected refused)
            log.LogWarning("Resurrected the server of instance {InstanceId} on port {Port} ({Reason}), but did not record it: {Why}",
                instanceId, port, reason, refused.Error.Description);
        else
            log.LogWarning("Resurrected the server of instance {InstanceId} on port {Port}: {Reason}", instanceId, port, reason);
        return true;
    }
}
