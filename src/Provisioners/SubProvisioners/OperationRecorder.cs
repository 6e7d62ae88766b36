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
        if (await recorder.CurrentOperationOf(context, instanceId, operationId) is not { } state) return;
        var outcome = OperationOutcomes.Succeeded(state.LastOperation!.Kind, instanceId, operationId, recorder.Now);
        await recorder.Record(context, instanceId, operationId, outcome, nameof(OperationRecorder));
    }

    public async Task Consume(ConsumeContext<FailOperation> context)
    {
        var (operationId, instanceId, reason) = context.Message;
        if (await recorder.CurrentOperationOf(context, instanceId, operationId) is not { } state) return;
        var outcome = OperationOutcomes.Failed(state.LastOperation!.Kind, instanceId, operationId, reason, recorder.Now);
        await recorder.Record(context, instanceId, operationId, outcome, nameof(OperationRecorder));
    }
}
