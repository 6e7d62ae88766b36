using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>
/// A VM of the instance's deployment a deploy no longer uses (create-swap-delete's old VM, or a new VM a failed deploy
/// left unused), on <paramref name="Host"/> (null: an instance made before hosts). It is in the log, not only in the
/// deploying worker's memory, so a worker that dies before the sweep leaves it to the next one; a background sweeper on
/// its host deletes it once it is older than the grace period (<see cref="VmDeleted"/>).
/// </summary>
public sealed record VmOrphaned(Guid InstanceId, Guid OperationId, string Vm, string? Host, DateTimeOffset OrphanedAt) : IDomainEvent;

/// <summary>An orphaned VM deleted (or found already gone) by its host's sweeper.</summary>
public sealed record VmDeleted(Guid InstanceId, string Vm, string? Host, DateTimeOffset DeletedAt) : IDomainEvent;

/// <summary>An orphaned VM of the instance waiting for its host's sweeper.</summary>
public sealed record OrphanedVm(string Vm, string? Host, Guid OperationId, DateTimeOffset OrphanedAt);

/// <summary>Record that the deploy of <paramref name="OperationId"/> orphaned <paramref name="Vm"/>.</summary>
public sealed record RecordVmOrphaned(Guid OperationId, string Vm, string? Host, DateTimeOffset Now);

/// <summary>Record that the sweeper deleted the orphaned <paramref name="Vm"/>.</summary>
public sealed record RecordVmDeleted(string Vm, DateTimeOffset Now);

/// <summary>The rules of orphaned VMs: orphaned once by the deploy in progress, deleted once, only while orphaned.</summary>
public static class VmOrphanDecisions
{
    public static Decision Decide(ServiceInstance state, RecordVmOrphaned command) =>
        state.LastOperation is not { InProgress: true } current || current.Id != command.OperationId
            ? Decision.Reject(DomainErrorCode.Conflict, $"Operation {command.OperationId} is not in progress.")
        : state.OrphanedVms.Any(o => o.Vm == command.Vm)
            ? new Decision.AlreadyDone()
            : new Decision.Accepted(command.OperationId,
                [new VmOrphaned(state.Id, command.OperationId, command.Vm, command.Host, command.Now)]);

    public static Decision Decide(ServiceInstance state, RecordVmDeleted command) =>
        state.OrphanedVms.FirstOrDefault(o => o.Vm == command.Vm) is not { } orphan
            ? new Decision.AlreadyDone()
            : new Decision.Accepted(orphan.OperationId, [new VmDeleted(state.Id, orphan.Vm, orphan.Host, command.Now)]);
}
