using MassTransit;

namespace EventSourced.Provisioners.Sagas;

/// <summary>The activity chains the state machine repeats.</summary>
internal static class OperationActivities
{
    public static EventActivityBinder<InstanceOperationState, T> RemoveDatabase<T>(this EventActivityBinder<InstanceOperationState, T> binder)
        where T : class =>
        binder.Publish(c => c.Saga.DeprovisionDatabase())
            .TransitionTo(Machine(binder).RemovingDatabase);

    public static EventActivityBinder<InstanceOperationState, T> Complete<T>(this EventActivityBinder<InstanceOperationState, T> binder)
        where T : class =>
        binder.Publish(c => c.Saga.CompleteOperation())
            .TransitionTo(Machine(binder).Completing);

    public static EventActivityBinder<InstanceOperationState, T> Fail<T>(this EventActivityBinder<InstanceOperationState, T> binder)
        where T : class =>
        binder.Publish(c => c.Saga.FailOperation()).TransitionTo(Machine(binder).Failing);

    private static InstanceOperationStateMachine Machine<T>(EventActivityBinder<InstanceOperationState, T> binder) where T : class =>
        (InstanceOperationStateMachine)binder.StateMachine;
}
