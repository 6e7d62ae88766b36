using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Messages;
using EventSourced.Provisioners.Hosts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>The persistent disk of an instance: a data directory sized by the plan, made by its provisioner's storage implementation.</summary>
public sealed class StorageSubProvisioner(ProvisionerBackends backends, OutcomeRecorder recorder, IOptions<WorkerHostOptions> host)
    : IConsumer<ProvisionStorage>, IConsumer<DeprovisionStorage>
{
    public async Task Consume(ConsumeContext<ProvisionStorage> context)
    {
        var (operationId, instanceId, diskMb) = context.Message;
        var ct = context.CancellationToken;
        if (await recorder.CurrentOperationOf(context, instanceId, operationId) is not { } state) return;
        if (state.Storage is { } recorded)
        {
            await recorder.AnswerAgain(context, new StorageProvisioned(instanceId, operationId, recorded.DataDirectory, recorded.DiskMb, recorder.Now, state.Host));
            return;
        }
        var outcome = await OutcomeRecorder.Attempt(
            async () =>
            {
                var allocation = await backends.StorageOf(state.ServiceId).Provision(instanceId, diskMb, ct);
                return new StorageProvisioned(instanceId, operationId, allocation.DataDirectory, allocation.DiskMb, recorder.Now, host.Value.Name);
            },
            reason => new ResourceProvisioningFailed(instanceId, operationId, ResourceKind.Storage, reason, recorder.Now));
        await recorder.RecordOrOrphan(context, instanceId, operationId, outcome, ResourceKind.Storage, nameof(StorageSubProvisioner));
    }

    public async Task Consume(ConsumeContext<DeprovisionStorage> context)
    {
        var (operationId, instanceId) = context.Message;
        var ct = context.CancellationToken;
        if (await recorder.CurrentOperationOf(context, instanceId, operationId) is not { } state) return;
        var outcome = await OutcomeRecorder.Attempt(
            async () =>
            {
                await backends.StorageOf(state.ServiceId).Deprovision(instanceId, ct);
                return new StorageDeprovisioned(instanceId, operationId, recorder.Now);
            },
            reason => new ResourceDeprovisioningFailed(instanceId, operationId, ResourceKind.Storage, reason, recorder.Now));
        await recorder.Record(context, instanceId, operationId, outcome, nameof(StorageSubProvisioner));
    }
}
