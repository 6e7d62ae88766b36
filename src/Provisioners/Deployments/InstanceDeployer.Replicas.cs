using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends.Local;
using Microsoft.Extensions.Logging;

namespace EventSourced.Provisioners.Deployments;

/// <summary>The removal of an instance's replicas on other hosts before its primary goes.</summary>
public sealed partial class InstanceDeployer
{
    /// <summary>
    /// Before the primary's server goes: the replicas the log has on other hosts, removed there (each through its host's
    /// queue) while the primary still runs. The replicas on this host go with the primary's own removal.
    /// </summary>
    public async Task RemoveRemoteReplicas(ServiceInstance state, CancellationToken ct)
    {
        var primaryHost = state.Host ?? LocalCloudConfig.Az;
        foreach (var replica in state.Replicas.Where(r => r.WorkerHost is { } host && host != primaryHost))
        {
            await Remote.Run(replica.WorkerHost!, new RemoteReplicaStep(state.Id, replica.Index, ReplicaStep.Remove), ct);
            logger.LogInformation("Removed replica {Index} of instance {InstanceId} on host {Host}", replica.Index, state.Id, replica.WorkerHost);
        }
    }
}
