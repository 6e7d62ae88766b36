using EventSourced.Deployments.Planning;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>A step of a replica whose host is not its primary's, as that host carries it out.</summary>
public enum ReplicaStep { Create, Copy, Start, WaitUntilStreaming, Stop, Remove, Describe }

/// <param name="PrimaryPort">For <see cref="ReplicaStep.Copy"/>: the primary's port on 127.0.0.1.</param>
/// <param name="Password">For <see cref="ReplicaStep.Copy"/>: the replication password (protected before it leaves this host).</param>
public sealed record RemoteReplicaStep(
    Guid InstanceId, int Index, ReplicaStep Step, string? Vm = null, int? PreferredPort = null,
    IReadOnlyDictionary<string, string>? Settings = null, int? PrimaryPort = null, string? Password = null);

/// <summary>Runs a replica step on another host (through its queue) and answers the replica's port there (null: it has none).</summary>
public interface IRemoteReplicaSteps
{
    Task<int?> Run(string host, RemoteReplicaStep step, CancellationToken ct);
}

/// <summary>
/// Where each replica VM of a deploy lives, from its plan: a VM that runs now on its instance's current host, a VM the
/// deploy makes on its instance's target host. <see cref="PrimaryHost"/> is the host the deploy runs on; a replica on any
/// other is reached through <see cref="Remote"/>.
/// </summary>
public sealed class ReplicaPlacement(
    string primaryHost, IReadOnlyDictionary<string, string> hostOfVm, IReadOnlyDictionary<string, string> hostOfInstance, IRemoteReplicaSteps remote)
{
    public string PrimaryHost => primaryHost;
    public IRemoteReplicaSteps Remote => remote;

    public static ReplicaPlacement Of(DeploymentPlan plan, string group, string primaryHost, IRemoteReplicaSteps remote)
    {
        var actions = plan.Groups.Where(g => g.Group == group).SelectMany(g => g.Actions).ToList();
        return new ReplicaPlacement(primaryHost,
            actions.Where(a => a.Current is not null).ToDictionary(a => a.Current!.Vm, a => a.Current!.Host),
            actions.Where(a => a.Target is not null).ToDictionary(a => a.Id, a => a.Target!.Host),
            remote);
    }

    /// <summary>The host <paramref name="vm"/> of <paramref name="instance"/> lives on when it is not the primary's; null when it is.</summary>
    public string? RemoteHostOf(string vm, string instance)
    {
        var host = hostOfVm.GetValueOrDefault(vm) ?? hostOfInstance.GetValueOrDefault(instance);
        return host is null || host == primaryHost ? null : host;
    }
}
