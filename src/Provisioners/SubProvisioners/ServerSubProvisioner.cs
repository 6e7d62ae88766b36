using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Messages;
using MassTransit;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>The "VM" of an instance: a dedicated PostgreSQL server process on its storage.</summary>
public sealed class ServerSubProvisioner(IServerBackend servers, IStorageBackend storage, OutcomeRecorder recorder)
    : IConsumer<ProvisionServer>, IConsumer<DeprovisionServer>, IConsumer<ReconfigureServer>
{
    public async Task Consume(ConsumeContext<ProvisionServer> context)
    {
        var (operationId, instanceId) = context.Message;
        var ct = context.CancellationToken;
        if (await recorder.CurrentOperationOf(instanceId, operationId, ct) is not { Server: null } state) return;
        IDomainEvent outcome;
        try
        {
            var endpoint = await servers.Provision(instanceId, InstanceParameters.ServerSettingsOf(state.Parameters), ct);
            outcome = new ServerProvisioned(instanceId, operationId, endpoint.Host, endpoint.Port, recorder.Now);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            outcome = new ResourceProvisioningFailed(instanceId, operationId, ResourceKind.Server, e.Message, recorder.Now);
        }
        if (await recorder.Record(context, instanceId, operationId, outcome, nameof(ServerSubProvisioner)) is Decision.Rejected
            && outcome is ServerProvisioned && await recorder.IsRolledBack(instanceId, operationId, ct))
            await servers.Deprovision(instanceId, ct);
    }

    public async Task Consume(ConsumeContext<DeprovisionServer> context)
    {
        var (operationId, instanceId) = context.Message;
        var ct = context.CancellationToken;
        if (await recorder.CurrentOperationOf(instanceId, operationId, ct) is null) return;
        IDomainEvent outcome;
        try
        {
            await servers.Deprovision(instanceId, ct);
            outcome = new ServerDeprovisioned(instanceId, operationId, recorder.Now);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            outcome = new ResourceDeprovisioningFailed(instanceId, operationId, ResourceKind.Server, e.Message, recorder.Now);
        }
        await recorder.Record(context, instanceId, operationId, outcome, nameof(ServerSubProvisioner));
    }

    /// <summary>An update: the disk of the requested plan, then the server settings of the requested parameters.</summary>
    public async Task Consume(ConsumeContext<ReconfigureServer> context)
    {
        var (operationId, instanceId) = context.Message;
        var ct = context.CancellationToken;
        if (await recorder.CurrentOperationOf(instanceId, operationId, ct) is not { Pending: { } update }) return;
        IDomainEvent outcome;
        try
        {
            await storage.Provision(instanceId, update.DiskMb, ct);
            await servers.Reconfigure(instanceId, InstanceParameters.ServerSettingsOf(update.Parameters), ct);
            outcome = new ServerReconfigured(instanceId, operationId, update.DiskMb, recorder.Now);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            outcome = new ResourceUpdateFailed(instanceId, operationId, ResourceKind.Server, e.Message, recorder.Now);
        }
        await recorder.Record(context, instanceId, operationId, outcome, nameof(ServerSubProvisioner));
    }
}
