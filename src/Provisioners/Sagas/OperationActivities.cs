using MassTransit;

namespace EventSourced.Provisioners.Sagas;

/// <summary>The activity chains the state machine repeats.</summary>
internal static class OperationActivities
{
    /// <summary>Sends a step's command (under its derived message id, see <see cref="StepMessageId"/>).</summary>
    public static EventActivityBinder<InstanceOperationState, T> Send<T, TCommand>(
        this EventActivityBinder<InstanceOperationState, T> binder, Func<InstanceOperationState, TCommand> command)
        where T : class where TCommand : class =>
        binder.ThenAsync(c => c.Send(command(c.Saga)));

    public static EventActivityBinder<InstanceOperationState, T> RemoveDatabase<T>(this EventActivityBinder<InstanceOperationState, T> binder)
        where T : class =>
        binder.Send(s => s.DeprovisionDatabase()).TransitionTo(Machine(binder).RemovingDatabase);

    public static EventActivityBinder<InstanceOperationState, T> Complete<T>(this EventActivityBinder<InstanceOperationState, T> binder)
        where T : class =>
        binder.Send(s => s.CompleteOperation()).TransitionTo(Machine(binder).Completing);

    public static EventActivityBinder<InstanceOperationState, T> Fail<T>(this EventActivityBinder<InstanceOperationState, T> binder)
        where T : class =>
        binder.Send(s => s.FailOperation()).TransitionTo(Machine(binder).Failing);

    private static InstanceOperationStateMachine Machine<T>(EventActivityBinder<InstanceOperationState, T> binder) where T : class =>
        (InstanceOperationStateMachine)binder.StateMachine;
}
