using EventSourced.Provisioners.Messages;
using MassTransit;

namespace EventSourced.Provisioners.Sagas;

/// <summary>The activity chains the state machine repeats.</summary>
internal static class OperationActivities
{
    public static EventActivityBinder<InstanceOperationState, T> RemoveDatabase<T>(this EventActivityBinder<InstanceOperationState, T> binder)
        where T : class =>
        binder.Publish(c => new DeprovisionDatabase(c.Saga.CorrelationId, c.Saga.InstanceId))
            .TransitionTo(Machine(binder).RemovingDatabase);

    public static EventActivityBinder<InstanceOperationState, T> Complete<T>(this EventActivityBinder<InstanceOperationState, T> binder)
        where T : class =>
        binder.Publish(c => new CompleteOperation(c.Saga.CorrelationId, c.Saga.InstanceId))
            .TransitionTo(Machine(binder).Completing);

    public static EventActivityBinder<InstanceOperationState, T> Fail<T>(this EventActivityBinder<InstanceOperationState, T> binder)
        where T : class =>
        binder.Publish(c => c.Saga.FailOperation()).TransitionTo(Machine(binder).Failing);

    public static FailOperation FailOperation(this InstanceOperationState saga) =>
        new(saga.CorrelationId, saga.InstanceId, saga.FailureReason ?? "The operation failed.");

    private static InstanceOperationStateMachine Machine<T>(EventActivityBinder<InstanceOperationState, T> binder) where T : class =>
        (InstanceOperationStateMachine)binder.StateMachine;
}
