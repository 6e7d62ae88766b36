using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Messages;
using MassTransit;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>Records the end of an operation when the saga says so.</summary>
public sealed class OperationRecorder(OutcomeRecorder recorder) : IConsumer<CompleteOperation>, IConsumer<FailOperation>
{
    public async Task Consume(ConsumeContext<CompleteOperation> context)
    {
        var (operationId, instanceId) = context.Message;
        if (await recorder.CurrentOperationOf(instanceId, operationId, context.CancellationToken) is not { } state) return;
        IDomainEvent outcome = state.LastOperation!.Kind switch
        {
            OperationKind.Provision => new ServiceInstanceProvisioned(instanceId, operationId, recorder.Now),
            OperationKind.Update => new ServiceInstanceUpdated(instanceId, operationId, recorder.Now),
            _ => new ServiceInstanceDeprovisioned(instanceId, operationId, recorder.Now),
        };
        await recorder.Record(context, instanceId, operationId, outcome, nameof(OperationRecorder));
    }

    public async Task Consume(ConsumeContext<FailOperation> context)
    {
        var (operationId, instanceId, reason) = context.Message;
        if (await recorder.CurrentOperationOf(instanceId, operationId, context.CancellationToken) is not { } state) return;
        IDomainEvent outcome = state.LastOperation!.Kind switch
        {
            OperationKind.Provision => new ServiceInstanceProvisioningFailed(instanceId, operationId, reason, recorder.Now),
            OperationKind.Update => new ServiceInstanceUpdateFailed(instanceId, operationId, reason, recorder.Now),
            _ => new ServiceInstanceDeprovisioningFailed(instanceId, operationId, reason, recorder.Now),
        };
        await recorder.Record(context, instanceId, operationId, outcome, nameof(OperationRecorder));
    }
}
