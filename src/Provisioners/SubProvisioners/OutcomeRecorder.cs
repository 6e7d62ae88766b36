using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using JasperFx.Events;
using MassTransit;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>How the sub-provisioners read the operation they work for and record what came of it.</summary>
public sealed class OutcomeRecorder(ServiceInstanceStore instances, TimeProvider clock)
{
    public DateTimeOffset Now => clock.GetUtcNow();

    public async Task<ServiceInstance> Current(Guid instanceId, CancellationToken ct) => (await instances.Load(instanceId, ct)).State;

    /// <summary>
    /// The instance while <paramref name="operationId"/> is its operation in progress (else null), read from its stream,
    /// which is kept with the message being consumed: the step's
    /// <see cref="Record{TMessage}(ConsumeContext{TMessage}, Guid, Guid, IDomainEvent, string)"/> decides on it first
    /// instead of reading it again (an event appended meanwhile fails that attempt on its version, and the next reads afresh).
    /// </summary>
    public async Task<ServiceInstance?> CurrentOperationOf<TMessage>(ConsumeContext<TMessage> context, Guid instanceId, Guid operationId)
        where TMessage : class
    {
        var (state, read) = await instances.LoadForDecision(instanceId, context.CancellationToken);
        context.AddOrUpdatePayload(() => new ReadStream(instanceId, read), _ => new ReadStream(instanceId, read));
        return state.LastOperation is { State: OperationState.InProgress } op && op.Id == operationId ? state : null;
    }


    /// <summary>The instance's stream as a step read it, kept with the message it consumes.</summary>
    private sealed record ReadStream(Guid InstanceId, IReadOnlyList<IEvent> Events);

    /// <summary>
    /// Whether the operation is being rolled back or has failed (a cancellation too): a success refused for that reason
    /// leaves an orphan, since the rollback may already have passed its resource.
    /// </summary>
    public async Task<bool> NoLongerWants(Guid instanceId, Guid operationId, CancellationToken ct) =>
        (await instances.Load(instanceId, ct)).State.NoLongerWants(operationId);

    /// <summary>
    /// A step whose outcome is already recorded for the operation in progress answers again with it: the saga may never
    /// have heard it (an event the forwarder never delivered, a nudge after a stall), and the operation must not wait.
    /// </summary>
    public Task AnswerAgain<TMessage>(ConsumeContext<TMessage> context, IDomainEvent recorded) where TMessage : class =>
        context.Publish(recorded, recorded.GetType(), context.CancellationToken);

    /// <summary>The step's own event, or the failure event made from what went wrong (a cancellation is not a failure).</summary>
    public static async Task<IDomainEvent> Attempt(Func<Task<IDomainEvent>> step, Func<string, IDomainEvent> failed)
    {
        try
        {
            return await step();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return failed(e.Message);
        }
    }

    /// <summary>
    /// Records a provisioning step; when the operation was rolled back or ended meanwhile, records what the step created as
    /// an orphan instead, which <see cref="OrphanRemover"/> then removes.
    /// </summary>
    public async Task RecordOrOrphan<TMessage>(
        ConsumeContext<TMessage> context, Guid instanceId, Guid operationId, IDomainEvent outcome, ResourceKind resource, string consumer)
        where TMessage : class
    {
        if (await Record(context, instanceId, operationId, outcome, consumer) is Decision.Rejected
            && outcome is not ResourceProvisioningFailed && await NoLongerWants(instanceId, operationId, context.CancellationToken))
            await Record(context, instanceId, operationId,
                state => ServiceInstanceDecisions.Decide(state, new RecordOrphan(operationId, resource, Now)), $"{consumer}.{nameof(RecordOrphan)}");
    }

    /// <summary>Appends the outcome unless this message was already handled (inbox) or the operation no longer takes it.</summary>
    public Task<Decision> Record<TMessage>(ConsumeContext<TMessage> context, Guid instanceId, Guid operationId, IDomainEvent outcome, string consumer)
        where TMessage : class =>
        Record(context, instanceId, operationId, state => ServiceInstanceDecisions.Decide(state, new RecordOperationOutcome(operationId, outcome)), consumer);

    private Task<Decision> Record<TMessage>(
        ConsumeContext<TMessage> context, Guid instanceId, Guid operationId, Func<ServiceInstance, Decision> decide, string consumer)
        where TMessage : class =>
        instances.Handle(
            instanceId,
            decide,
            new EventMetadata(operationId, context.MessageId),
            context.MessageId is { } messageId ? new Deduplication(consumer, messageId) : null,
            context.CancellationToken,
            context.TryGetPayload<ReadStream>(out var read) && read.InstanceId == instanceId ? read.Events : null);
}
