using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Messages;
using MassTransit;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>The persistent disk of an instance: a data directory sized by the plan.</summary>
public sealed class StorageSubProvisioner(IStorageBackend storage, OutcomeRecorder recorder)
    : IConsumer<ProvisionStorage>, IConsumer<DeprovisionStorage>
{
    public async Task Consume(ConsumeContext<ProvisionStorage> context)
    {
        var (operationId, instanceId, diskMb) = context.Message;
        var ct = context.CancellationToken;
        if (await recorder.CurrentOperationOf(instanceId, operationId, ct) is not { Storage: null }) return;
        IDomainEvent outcome;
        try
        {
            var allocation = await storage.Provision(instanceId, diskMb, ct);
            outcome = new StorageProvisioned(instanceId, operationId, allocation.DataDirectory, allocation.DiskMb, recorder.Now);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            outcome = new ResourceProvisioningFailed(instanceId, operationId, ResourceKind.Storage, e.Message, recorder.Now);
        }
        if (await recorder.Record(context, instanceId, operationId, outcome, nameof(StorageSubProvisioner)) is Decision.Rejected
            && outcome is StorageProvisioned && await recorder.IsRolledBack(instanceId, operationId, ct))
            await storage.Deprovision(instanceId, ct);
    }

    public async Task Consume(ConsumeContext<DeprovisionStorage> context)
    {
        var (operationId, instanceId) = context.Message;
        var ct = context.CancellationToken;
        if (await recorder.CurrentOperationOf(instanceId, operationId, ct) is null) return;
        IDomainEvent outcome;
        try
        {
            await storage.Deprovision(instanceId, ct);
            outcome = new StorageDeprovisioned(instanceId, operationId, recorder.Now);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            outcome = new ResourceDeprovisioningFailed(instanceId, operationId, ResourceKind.Storage, e.Message, recorder.Now);
        }
        await recorder.Record(context, instanceId, operationId, outcome, nameof(StorageSubProvisioner));
    }
}
