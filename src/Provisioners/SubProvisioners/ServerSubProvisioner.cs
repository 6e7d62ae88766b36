using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Local;
using EventSourced.Provisioners.Deployments;
using EventSourced.Provisioners.Messages;
using EventSourced.Provisioners.Snapshots;
using MassTransit;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>
/// The "VM" of an instance: a dedicated server process on its storage (its provisioner's instance implementation), with
/// the instance's settings. On a host with the deployment engine (<paramref name="deployer"/>) the PostgreSQL servers are
/// made and updated by it (planned, recorded, resumable); other implementations, and hosts wired by hand without it,
/// provision and reconfigure the server directly. For a provisioner without a database step (Redis) the
/// server holds the instance's data, so an import's server is reported started only with the snapshot's data in it.
/// </summary>
public sealed class ServerSubProvisioner(
    ProvisionerBackends backends, OutcomeRecorder recorder, InstanceDeployer? deployer = null, SnapshotRestorer? restorer = null)
    : IConsumer<ProvisionServer>, IConsumer<DeprovisionServer>, IConsumer<ReconfigureServer>
{
    public async Task Consume(ConsumeContext<ProvisionServer> context)
    {
        var (operationId, instanceId) = context.Message;
        var ct = context.CancellationToken;
        if (await recorder.CurrentOperationOf(context, instanceId, operationId) is not { } state) return;
        if (state.Server is { } recorded)
        {
            await recorder.AnswerAgain(context, new ServerProvisioned(instanceId, operationId, recorded.Host, recorded.Port, recorder.Now));
            return;
        }
        var outcome = await OutcomeRecorder.Attempt(
            async () =>
            {
                var servers = backends.ServerOf(state.ServiceId);
                var endpoint = deployer?.Provisions(state, servers) == true
                    ? await deployer.Provision(operationId, instanceId, (LocalServerBackend)servers, ct)
                    : await servers.Provision(instanceId, servers.SettingsOf(state.Parameters), ct);
                if (state.RestoreFromSnapshot is { } snapshot && !backends.HasDatabase(state.ServiceId))
                    await (restorer ?? throw new BackendException("this host restores no snapshots")).Restore(state, snapshot, ct);
                return new ServerProvisioned(instanceId, operationId, endpoint.Host, endpoint.Port, recorder.Now);
            },
            reason => new ResourceProvisioningFailed(instanceId, operationId, ResourceKind.Server, reason, recorder.Now));
        await recorder.RecordOrOrphan(context, instanceId, operationId, outcome, ResourceKind.Server, nameof(ServerSubProvisioner));
    }

    public async Task Consume(ConsumeContext<DeprovisionServer> context)
    {
        var (operationId, instanceId) = context.Message;
        var ct = context.CancellationToken;
        if (await recorder.CurrentOperationOf(context, instanceId, operationId) is not { } state) return;
        var outcome = await OutcomeRecorder.Attempt(
            async () =>
            {
                var servers = backends.ServerOf(state.ServiceId);
                // Replicas on other hosts first, while the primary they stream from still runs.
                if (deployer is not null && servers is LocalServerBackend) await deployer.RemoveRemoteReplicas(state, ct);
                await servers.Deprovision(instanceId, ct);
                return new ServerDeprovisioned(instanceId, operationId, recorder.Now);
            },
            reason => new ResourceDeprovisioningFailed(instanceId, operationId, ResourceKind.Server, reason, recorder.Now));
        await recorder.Record(context, instanceId, operationId, outcome, nameof(ServerSubProvisioner));
    }

    /// <summary>
    /// An update: the disk of the requested plan, then the server: on the local backend through the deployment engine
    /// (<see cref="InstanceDeployer"/>: planned, recorded, resumable), elsewhere reconfigured with the requested parameters' settings.
    /// </summary>
    public async Task Consume(ConsumeContext<ReconfigureServer> context)
    {
        var (operationId, instanceId) = context.Message;
        var ct = context.CancellationToken;
        if (await recorder.CurrentOperationOf(context, instanceId, operationId) is not { Pending: { } update } state) return;
        var (servers, storage) = (backends.ServerOf(state.ServiceId), backends.StorageOf(state.ServiceId));
        if (update.Applied)
        {
            await recorder.AnswerAgain(context, new ServerReconfigured(instanceId, operationId, update.DiskMb, recorder.Now));
            return;
        }
        var outcome = await OutcomeRecorder.Attempt(
            async () =>
            {
                await storage.Provision(instanceId, update.DiskMb, ct);
                if (deployer?.Deploys(state, servers) == true) return await deployer.Update(operationId, instanceId, (LocalServerBackend)servers, ct);
                await servers.Reconfigure(instanceId, servers.SettingsOf(update.Parameters), ct);
                return new ServerReconfigured(instanceId, operationId, update.DiskMb, recorder.Now);
            },
            reason => new ResourceUpdateFailed(instanceId, operationId, ResourceKind.Server, reason, recorder.Now));
        if (await recorder.Record(context, instanceId, operationId, outcome, nameof(ServerSubProvisioner)) is Decision.Rejected
            && outcome is ServerReconfigured)
            await Revert(instanceId, servers, storage, ct);
    }

    /// <summary>
    /// The update ended (timed out) while the server was being changed, so its change was refused: the server goes back to
    /// the disk and settings the log says the instance has.
    /// </summary>
    private async Task Revert(Guid instanceId, IServerBackend servers, IStorageBackend storage, CancellationToken ct)
    {
        var current = await recorder.Current(instanceId, ct);
        if (current.Status != InstanceStatus.Provisioned || current.Busy) return;
        var settings = (deployer is null ? null : await deployer.SettingsOfNewServer(current, servers, ct)) ?? servers.SettingsOf(current.Parameters);
        await servers.Reconfigure(instanceId, settings, ct);
        await storage.Provision(instanceId, current.DiskMb, ct);
    }
}
