using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Clusters;

/// <summary>Decisions that span a cluster's stream and a child's.</summary>
public sealed class ClusterStore(StreamStore streams)
{
    /// <summary>
    /// A child's provisioning request: decided on the child's stream with the cluster's stream read under a row lock, the
    /// attachment appended to the cluster in the same transaction. Attachments to one cluster queue on that lock.
    /// </summary>
    public Task<Decision> ProvisionChild(
        Guid childId, Guid clusterId, Func<ServiceInstance, ServiceInstance, (Decision Child, IDomainEvent? Cluster)> decide,
        EventMetadata metadata, CancellationToken ct = default) =>
        streams.Handle(ServiceInstance.StreamId(childId), async (events, session, token) =>
        {
            var clusterKey = ServiceInstance.StreamId(clusterId);
            var (clusterEvents, clusterVersion) = await StreamStore.ReadLocked(session, clusterKey, token);
            var (child, attached) = decide(ServiceInstance.Fold(events), ServiceInstance.Fold(clusterEvents));
            return child is Decision.Accepted accepted && attached is not null
                ? accepted with { Alongside = new StreamAppend(clusterKey, clusterVersion, [attached]) }
                : child;
        }, metadata, ct: ct);

    public Task<Decision> Detach(DetachChild command, EventMetadata metadata, CancellationToken ct = default) =>
        streams.HandleExclusively(ServiceInstance.StreamId(command.ClusterId),
            (events, _, _) => Task.FromResult(ClusterDecisions.Decide(ServiceInstance.Fold(events), command)), metadata, ct);
}
