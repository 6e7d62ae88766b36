using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Messages;
using System.Linq.Expressions;
using MassTransit;

namespace EventSourced.Provisioners.Sagas;

/// <summary>
/// Drives the sub-provisioners of one operation in dependency order — storage, server, database to provision; the
/// reverse to deprovision or to roll back a failed or timed-out provisioning; a server reconfiguration to update —
/// reacting to the events they record. A cluster, and a server whose provisioner has no database step (Redis), have no
/// database of their own; a database in a cluster is only its database step, on the cluster's server (<see cref="InstanceShape"/>).
/// </summary>
public sealed class InstanceOperationStateMachine : MassTransitStateMachine<InstanceOperationState>
{
    public InstanceOperationStateMachine()
    {
        InstanceState(x => x.CurrentState);
        Event(() => ProvisioningRequested, x => x.CorrelateById(m => m.Message.OperationId));
        Event(() => DeprovisioningRequested, x => x.CorrelateById(m => m.Message.OperationId));
        Event(() => UpdateRequested, x => x.CorrelateById(m => m.Message.OperationId));
        Reply(() => StorageReady, m => m.OperationId);
        Reply(() => ServerReady, m => m.OperationId);
        Reply(() => DatabaseReady, m => m.OperationId);
        Reply(() => StepFailed, m => m.OperationId);
        // The watchdog records a timeout on its own clock, not in answer to the saga: it can reach the saga while the request
        // that creates it is still being handled. Dropped, it would leave the operation rolling back with nobody driving
        // it; faulted, the endpoint's retry delivers it again once the saga's row is committed.
        Event(() => TimedOut, x =>
        {
            x.CorrelateById(m => m.Message.OperationId);
            x.OnMissingInstance(m => m.Fault());
        });
        Reply(() => DatabaseRemoved, m => m.OperationId);
        Reply(() => ServerRemoved, m => m.OperationId);
        Reply(() => StorageRemoved, m => m.OperationId);
        Reply(() => RemovalFailed, m => m.OperationId);
        Reply(() => Provisioned, m => m.OperationId);
        Reply(() => ProvisioningFailed, m => m.OperationId);
        Reply(() => Deprovisioned, m => m.OperationId);
        Reply(() => DeprovisioningFailed, m => m.OperationId);
        // Recorded by the deprovision request, not in answer to the saga: like a timeout it can arrive before the
        // provisioning request created the saga, and dropped it would leave that saga waiting on a step nobody runs.
        Event(() => Cancelled, x =>
        {
            x.CorrelateById(m => m.Message.OperationId);
            x.OnMissingInstance(m => m.Fault());
        });
        Reply(() => ServerReconfigured, m => m.OperationId);
        Reply(() => UpdateStepFailed, m => m.OperationId);
        Reply(() => Updated, m => m.OperationId);
        Reply(() => UpdateFailed, m => m.OperationId);
        Reply(() => Nudged, m => m.OperationId);
        // Events reach the saga at least once and in any state: a repeat or a late one changes nothing.
        OnUnhandledEvent(x => x.Ignore());

        Initially(
            When(ProvisioningRequested)
                .Then(c => (c.Saga.InstanceId, c.Saga.Kind, c.Saga.DiskMb, c.Saga.Shape, c.Saga.Host) =
                    (c.Message.InstanceId, OperationKind.Provision, c.Message.DiskMb, c.Message.Shape, c.Message.Host))
                .IfElse(c => c.Saga.Shape == InstanceShape.ClusterDatabase,
                    child => child.Send(s => s.ProvisionDatabase()).TransitionTo(CreatingDatabase),
                    own => own.Send(s => s.ProvisionStorage()).TransitionTo(CreatingStorage)),
            When(DeprovisioningRequested)
                .Then(c => (c.Saga.InstanceId, c.Saga.Kind, c.Saga.Shape, c.Saga.Host) =
                    (c.Message.InstanceId, OperationKind.Deprovision, c.Message.Shape, c.Message.Host))
                .Remove(),
            When(UpdateRequested)
                .Then(c => (c.Saga.InstanceId, c.Saga.Kind, c.Saga.Host) = (c.Message.InstanceId, OperationKind.Update, c.Message.Host))
                .Send(s => s.ReconfigureServer())
                .TransitionTo(Reconfiguring));

        During(Reconfiguring,
            When(ServerReconfigured).Complete(),
            When(UpdateStepFailed).Then(c => c.Saga.FailureReason = $"{c.Message.Resource} update failed: {c.Message.Reason}").Fail(),
            When(TimedOut).Then(c => c.Saga.FailureReason = "The update timed out.").Fail());

        // No host was chosen with the request (none was registered yet): the host that made the disk keeps the rest.
        During(CreatingStorage,
            When(StorageReady).Then(c => c.Saga.Host ??= c.Message.Host).Send(s => s.ProvisionServer()).TransitionTo(CreatingServer));
        During(CreatingServer,
            When(ServerReady).IfElse(c => c.Saga.Shape is InstanceShape.Cluster or InstanceShape.Server,
                serverOnly => serverOnly.Complete(),
                dedicated => dedicated.Send(s => s.ProvisionDatabase()).TransitionTo(CreatingDatabase)));
        During(CreatingDatabase,
            When(DatabaseReady).Complete());

        During(CreatingStorage, CreatingServer, CreatingDatabase,
            When(StepFailed).Then(c => c.Saga.FailureReason = $"{c.Message.Resource} provisioning failed: {c.Message.Reason}").Remove(),
            When(TimedOut).Then(c => c.Saga.FailureReason = "The operation timed out.").Remove());
        // A provisioning that timed out just before it was recorded as done is rolled back (its success is refused).
        During(Completing,
            When(TimedOut, c => c.Saga.Kind == OperationKind.Provision)
                .Then(c => c.Saga.FailureReason = "The operation timed out.").Remove());

        During(RemovingDatabase,
            When(DatabaseRemoved).IfElse(c => c.Saga.Shape == InstanceShape.ClusterDatabase,
                child => child.Removed(),
                own => own.Send(s => s.DeprovisionServer()).TransitionTo(RemovingServer)));
        During(RemovingServer,
            When(ServerRemoved).Send(s => s.DeprovisionStorage()).TransitionTo(RemovingStorage));
        During(RemovingStorage,
            When(StorageRemoved).Removed());
        During(RemovingDatabase, RemovingServer, RemovingStorage,
            When(RemovalFailed).Then(c => c.Saga.FailureReason = Join(c.Saga.FailureReason,
                $"{c.Message.Resource} deprovisioning failed: {c.Message.Reason}")).Fail(),
            When(TimedOut).Then(c => c.Saga.FailureReason = Join(c.Saga.FailureReason, "Deprovisioning timed out.")).Fail());
        During(RemovingServer, RemovingStorage, Ignore(StepFailed));

        // What the saga publishes leaves after its new state is committed and before the event is acknowledged: a broker
        // dying in between gets the event again with the saga already in the next state. So the event that led into a
        // state, seen again there, sends that state's command again; the sub-provisioners skip work already recorded.
        During(CreatingStorage, When(ProvisioningRequested).Send(s => s.ProvisionStorage()));
        During(CreatingServer, When(StorageReady).Send(s => s.ProvisionServer()));
        During(CreatingDatabase,
            When(ServerReady).Send(s => s.ProvisionDatabase()),
            When(ProvisioningRequested).Send(s => s.ProvisionDatabase()));
        During(Reconfiguring, When(UpdateRequested).Send(s => s.ReconfigureServer()));
        During(RemovingDatabase,
            When(DeprovisioningRequested).Send(s => s.DeprovisionDatabase()),
            When(StepFailed).Send(s => s.DeprovisionDatabase()));
        During(RemovingServer,
            When(DatabaseRemoved).Send(s => s.DeprovisionServer()),
            When(DeprovisioningRequested).Send(s => s.DeprovisionServer()));
        During(RemovingStorage, When(ServerRemoved).Send(s => s.DeprovisionStorage()));
        During(Completing,
            When(DatabaseReady).Send(s => s.CompleteOperation()),
            When(ServerReady).Send(s => s.CompleteOperation()),
            When(DatabaseRemoved).Send(s => s.CompleteOperation()),
            When(ServerReconfigured).Send(s => s.CompleteOperation()),
            When(StorageRemoved).Send(s => s.CompleteOperation()));
        During(Failing,
            When(StorageRemoved).Send(s => s.FailOperation()),
            When(DatabaseRemoved).Send(s => s.FailOperation()),
            When(RemovalFailed).Send(s => s.FailOperation()),
            When(UpdateStepFailed).Send(s => s.FailOperation()));

        // A deprovision request cancelled this provisioning: its removal chain cleans up, this operation just ends.
        DuringAny(When(Cancelled).Finalize());

        // The end of the operation, recorded by the saga's own command or by the watchdog when the operation ran past its
        // deadline and grace period (its rollback stuck): either way nothing more is to be done.
        DuringAny(
            When(Updated).Finalize(),
            When(UpdateFailed).Finalize(),
            When(Provisioned).Finalize(),
            When(ProvisioningFailed).Finalize(),
            When(Deprovisioned).Finalize(),
            When(DeprovisioningFailed).Finalize());
        During(Failing, Ignore(TimedOut), Ignore(StepFailed));

        DuringAny(When(Nudged).ThenAsync(c => c.SendCurrentStepAgain()));

        // Finished operations stay as rows in their final state, so that a repeated request event cannot start them again.
    }

    public State CreatingStorage { get; private set; } = null!;
    public State CreatingServer { get; private set; } = null!;
    public State CreatingDatabase { get; private set; } = null!;
    public State RemovingDatabase { get; private set; } = null!;
    public State RemovingServer { get; private set; } = null!;
    public State RemovingStorage { get; private set; } = null!;
    public State Reconfiguring { get; private set; } = null!;
    public State Completing { get; private set; } = null!;
    public State Failing { get; private set; } = null!;

    public Event<ServiceInstanceProvisioningRequested> ProvisioningRequested { get; private set; } = null!;
    public Event<ServiceInstanceDeprovisioningRequested> DeprovisioningRequested { get; private set; } = null!;
    public Event<StorageProvisioned> StorageReady { get; private set; } = null!;
    public Event<ServerProvisioned> ServerReady { get; private set; } = null!;
    public Event<DatabaseProvisioned> DatabaseReady { get; private set; } = null!;
    public Event<ResourceProvisioningFailed> StepFailed { get; private set; } = null!;
    public Event<ServiceInstanceOperationTimedOut> TimedOut { get; private set; } = null!;
    public Event<DatabaseDeprovisioned> DatabaseRemoved { get; private set; } = null!;
    public Event<ServerDeprovisioned> ServerRemoved { get; private set; } = null!;
    public Event<StorageDeprovisioned> StorageRemoved { get; private set; } = null!;
    public Event<ResourceDeprovisioningFailed> RemovalFailed { get; private set; } = null!;
    public Event<ServiceInstanceProvisioned> Provisioned { get; private set; } = null!;
    public Event<ServiceInstanceProvisioningFailed> ProvisioningFailed { get; private set; } = null!;
    public Event<ServiceInstanceDeprovisioned> Deprovisioned { get; private set; } = null!;
    public Event<ServiceInstanceDeprovisioningFailed> DeprovisioningFailed { get; private set; } = null!;
    public Event<ServiceInstanceProvisioningCancelled> Cancelled { get; private set; } = null!;
    public Event<ServiceInstanceUpdateRequested> UpdateRequested { get; private set; } = null!;
    public Event<ServerReconfigured> ServerReconfigured { get; private set; } = null!;
    public Event<ResourceUpdateFailed> UpdateStepFailed { get; private set; } = null!;
    public Event<ServiceInstanceUpdated> Updated { get; private set; } = null!;
    public Event<ServiceInstanceUpdateFailed> UpdateFailed { get; private set; } = null!;
    public Event<NudgeOperation> Nudged { get; private set; } = null!;

    /// <summary>An event in answer to a step: it never starts a saga, and one for a saga that is gone is dropped.</summary>
    private void Reply<T>(Expression<Func<Event<T>>> property, Func<T, Guid> operationId) where T : class =>
        Event(property, x =>
        {
            x.CorrelateById(m => operationId(m.Message));
            x.OnMissingInstance(m => m.Discard());
        });

    private static string Join(string? first, string second) => first is null ? second : $"{first} {second}";
}
