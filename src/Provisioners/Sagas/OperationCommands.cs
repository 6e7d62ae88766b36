using EventSourced.Provisioners.Messages;
using MassTransit;

namespace EventSourced.Provisioners.Sagas;

/// <summary>
/// The command of each step, made from the saga's state: sent on entering the step, again on a redelivery (the same
/// message) and again on a nudge (a new attempt).
/// </summary>
internal static class OperationCommands
{
    public static ProvisionStorage ProvisionStorage(this InstanceOperationState saga) => new(saga.CorrelationId, saga.InstanceId, saga.DiskMb) { Host = saga.Host };

    public static ProvisionServer ProvisionServer(this InstanceOperationState saga) => new(saga.CorrelationId, saga.InstanceId) { Host = saga.Host };

    public static ProvisionDatabase ProvisionDatabase(this InstanceOperationState saga) => new(saga.CorrelationId, saga.InstanceId) { Host = saga.Host };

    public static ReconfigureServer ReconfigureServer(this InstanceOperationState saga) => new(saga.CorrelationId, saga.InstanceId) { Host = saga.Host };

    public static DeprovisionDatabase DeprovisionDatabase(this InstanceOperationState saga) => new(saga.CorrelationId, saga.InstanceId) { Host = saga.Host };

    public static DeprovisionServer DeprovisionServer(this InstanceOperationState saga) => new(saga.CorrelationId, saga.InstanceId) { Host = saga.Host };

    public static DeprovisionStorage DeprovisionStorage(this InstanceOperationState saga) => new(saga.CorrelationId, saga.InstanceId) { Host = saga.Host };

    public static CompleteOperation CompleteOperation(this InstanceOperationState saga) => new(saga.CorrelationId, saga.InstanceId);

    public static FailOperation FailOperation(this InstanceOperationState saga) =>
        new(saga.CorrelationId, saga.InstanceId, saga.FailureReason ?? "The operation failed.");

    /// <summary>Publishes a step's command under its derived message id.</summary>
    public static Task Send<T>(this BehaviorContext<InstanceOperationState> context, T command) where T : class =>
        context.Publish(command, p => p.MessageId = StepMessageId.Of(context.Saga.CorrelationId, typeof(T).Name, context.Saga.Attempt));

    /// <summary>The command of the step the saga waits on, sent again as a new attempt (nothing when it waits on none).</summary>
    public static Task SendCurrentStepAgain(this BehaviorContext<InstanceOperationState> context)
    {
        var saga = context.Saga;
        saga.Attempt++;
        return saga.CurrentState switch
        {
            nameof(InstanceOperationStateMachine.CreatingStorage) => context.Send(saga.ProvisionStorage()),
            nameof(InstanceOperationStateMachine.CreatingServer) => context.Send(saga.ProvisionServer()),
            nameof(InstanceOperationStateMachine.CreatingDatabase) => context.Send(saga.ProvisionDatabase()),
            nameof(InstanceOperationStateMachine.Reconfiguring) => context.Send(saga.ReconfigureServer()),
            nameof(InstanceOperationStateMachine.RemovingDatabase) => context.Send(saga.DeprovisionDatabase()),
            nameof(InstanceOperationStateMachine.RemovingServer) => context.Send(saga.DeprovisionServer()),
            nameof(InstanceOperationStateMachine.RemovingStorage) => context.Send(saga.DeprovisionStorage()),
            nameof(InstanceOperationStateMachine.Completing) => context.Send(saga.CompleteOperation()),
            nameof(InstanceOperationStateMachine.Failing) => context.Send(saga.FailOperation()),
            _ => Task.CompletedTask,
        };
    }
}
