using EventSourced.Commands.ServiceInstances;
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

    /// <summary>Starts removing what the instance is made of, from the last step it provisions (a cluster or a server-only instance has no database).</summary>
    public static EventActivityBinder<InstanceOperationState, T> Remove<T>(this EventActivityBinder<InstanceOperationState, T> binder)
        where T : class =>
        binder.IfElse(c => c.Saga.Shape is InstanceShape.Cluster or InstanceShape.Server,
            serverOnly => serverOnly.Send(s => s.DeprovisionServer()).TransitionTo(Machine(binder).RemovingServer),
            other => other.Send(s => s.DeprovisionDatabase()).TransitionTo(Machine(binder).RemovingDatabase));

    /// <summary>Everything is removed: a deprovisioning completes, a rolled-back provisioning fails.</summary>
    public static EventActivityBinder<InstanceOperationState, T> Removed<T>(this EventActivityBinder<InstanceOperationState, T> binder)
        where T : class =>
        binder.IfElse(c => c.Saga.Kind == OperationKind.Deprovision, done => done.Complete(), rolledBack => rolledBack.Fail());

    public static EventActivityBinder<InstanceOperationState, T> Complete<T>(this EventActivityBinder<InstanceOperationState, T> binder)
        where T : class =>
        binder.Send(s => s.CompleteOperation()).TransitionTo(Machine(binder).Completing);

    public static EventActivityBinder<InstanceOperationState, T> Fail<T>(this EventActivityBinder<InstanceOperationState, T> binder)
        where T : class =>
        binder.Send(s => s.FailOperation()).TransitionTo(Machine(binder).Failing);

    private static InstanceOperationStateMachine Machine<T>(EventActivityBinder<InstanceOperationState, T> binder) where T : class =>
        (InstanceOperationStateMachine)binder.StateMachine;
}
