using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>
/// A streaming replica of the instance's primary server started: the deployment instance <c>replicas/{Index}</c>, a
/// hot standby listening on <paramref name="Host"/>:<paramref name="Port"/> (the address clients connect to), on
/// <paramref name="Vm"/>, on the worker host <paramref name="WorkerHost"/> (null: the primary's host, as every replica
/// recorded before AZ splits). Recorded as soon as it streams, by the operation that made it, so that a deploy cut short
/// still has it on the record: the next plan, the resurrector, deprovisioning and the credentials all know it.
/// </summary>
public sealed record ReplicaAdded(
    Guid InstanceId, Guid OperationId, int Index, string Host, int Port, string Vm, DateTimeOffset AddedAt, string? WorkerHost = null) : IDomainEvent;

/// <summary>The replica <c>replicas/{Index}</c> was stopped and its data directory removed (scaled down).</summary>
public sealed record ReplicaRemoved(Guid InstanceId, Guid OperationId, int Index, DateTimeOffset RemovedAt) : IDomainEvent;

/// <summary>The resurrector started the dead replica <c>replicas/{Index}</c> again on its port.</summary>
public sealed record ReplicaResurrected(Guid InstanceId, int Index, int Port, DateTimeOffset ResurrectedAt, string Reason) : IDomainEvent;

/// <summary>A replica of the instance as the log has it; <paramref name="WorkerHost"/> null: on the primary's host.</summary>
public sealed record ReplicaInfo(int Index, string Host, int Port, string Vm, string? WorkerHost = null)
{
    /// <summary>Its deployment instance name, as the engine plans it.</summary>
    public string Instance => $"{ReplicaDecisions.Group}/{Index}";
}

public sealed record RecordReplicaAdded(Guid OperationId, int Index, string Host, int Port, string Vm, DateTimeOffset Now, string? WorkerHost = null);

public sealed record RecordReplicaRemoved(Guid OperationId, int Index, DateTimeOffset Now);

public sealed record RecordReplicaResurrection(Guid ResurrectionId, int Index, int Port, string Reason, DateTimeOffset Now);

/// <summary>The rules of replicas: added and removed only by the operation in progress, each once; resurrected only when idle.</summary>
public static class ReplicaDecisions
{
    /// <summary>The deployment engine's instance group of replicas.</summary>
    public const string Group = "replicas";

    public static Decision Decide(ServiceInstance state, RecordReplicaAdded command) =>
        state.LastOperation is not { InProgress: true } current || current.Id != command.OperationId
            ? Decision.Reject(DomainErrorCode.Conflict, $"Operation {command.OperationId} is not in progress.")
        : state.Replicas.FirstOrDefault(r => r.Index == command.Index) is { } known
            ? known.Port == command.Port && known.Vm == command.Vm && (known.WorkerHost ?? command.WorkerHost) == command.WorkerHost
                ? new Decision.AlreadyDone()
                : Decision.Reject(DomainErrorCode.Conflict, $"Replica {command.Index} is recorded on port {known.Port} ({known.Vm}).")
        : new Decision.Accepted(command.OperationId,
            [new ReplicaAdded(state.Id, command.OperationId, command.Index, command.Host, command.Port, command.Vm, command.Now, command.WorkerHost)]);

    public static Decision Decide(ServiceInstance state, RecordReplicaRemoved command) =>
        state.LastOperation is not { InProgress: true } current || current.Id != command.OperationId
            ? Decision.Reject(DomainErrorCode.Conflict, $"Operation {command.OperationId} is not in progress.")
        : state.Replicas.All(r => r.Index != command.Index)
            ? new Decision.AlreadyDone()
            : new Decision.Accepted(command.OperationId, [new ReplicaRemoved(state.Id, command.OperationId, command.Index, command.Now)]);

    public static Decision Decide(ServiceInstance state, RecordReplicaResurrection command) =>
        state.Status != InstanceStatus.Provisioned
            ? Decision.Reject(DomainErrorCode.Conflict, $"Service instance {state.Id} is not provisioned ({state.Status}).")
        : state.Busy
            ? Decision.Reject(DomainErrorCode.ConcurrencyError, $"Service instance {state.Id} has operation {state.LastOperation!.Id} in progress.")
        : state.Replicas.FirstOrDefault(r => r.Index == command.Index)?.Port != command.Port
            ? Decision.Reject(DomainErrorCode.Conflict, $"Replica {command.Index} of service instance {state.Id} is not recorded on port {command.Port}.")
        : new Decision.Accepted(command.ResurrectionId, [new ReplicaResurrected(state.Id, command.Index, command.Port, command.Now, command.Reason)]);
}
