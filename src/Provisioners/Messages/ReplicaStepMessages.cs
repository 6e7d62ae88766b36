using EventSourced.Provisioners.Backends.Local;

namespace EventSourced.Provisioners.Messages;

/// <summary>
/// A deploy's step on a replica living on another host than its primary: sent by the primary's host (where the deploy
/// runs) to the replica host's own queue, and answered with <see cref="ReplicaStepDone"/>. The replication password
/// travels protected (<see cref="Commands.Secrets.SecretProtector"/>): only brokers holding the secrets key read it.
/// </summary>
public sealed record RunReplicaStep(
    Guid InstanceId, int Index, ReplicaStep Step, string? Vm, int? PreferredPort, IReadOnlyDictionary<string, string>? Settings,
    int? PrimaryPort, string? ProtectedPassword);

/// <summary>The step is done (<paramref name="Port"/>: the replica's port on that host, null when it has none) or failed, and why.</summary>
public sealed record ReplicaStepDone(Guid InstanceId, int Index, int? Port, string? Failure);
