using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Messages;
using MassTransit;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>The "VM" of an instance: a dedicated PostgreSQL server process on its storage.</summary>
public sealed class ServerSubProvisioner(IServerBackend servers, OutcomeRecorder recorder)
    : IConsumer<ProvisionServer>, IConsumer<DeprovisionServer>
{
    public async Task Consume(ConsumeContext<ProvisionServer> context)
    {
        var (operationId, instanceId) = context.Message;
        var ct = context.CancellationToken;
        if (await recorder.CurrentOperationOf(instanceId, operationId, ct) is not { Server: null }) return;
        IDomainEvent outcome;
        try
        {
            var endpoint = await servers.Provision(instanceId, new Dictionary<string, string>(), ct);
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
}
