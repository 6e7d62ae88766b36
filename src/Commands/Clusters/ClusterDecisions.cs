using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Clusters;

/// <summary>A child's life named by its provisioning operation ended: it no longer holds its cluster.</summary>
public sealed record DetachChild(Guid ClusterId, Guid ChildId, Guid ProvisionOperationId, DateTimeOffset Now);

/// <summary>
/// The rules across a cluster's stream and its children's: a child is attached in the transaction of its provisioning
/// request (decided on both streams, the cluster's locked), so a cluster's deletion, decided on the cluster's stream,
/// sees every child that could still come to exist.
/// </summary>
public static class ClusterDecisions
{
    /// <summary>
    /// The child's provisioning decided on its own stream and, when that accepts a new request, on its cluster's:
    /// returns the child's decision and the event to record on the cluster (null: nothing to record there).
    /// </summary>
    public static (Decision Child, IDomainEvent? Cluster) Decide(
        ServiceInstance child, ServiceInstance cluster, ProvisionServiceInstance command, string? userId)
    {
        var clusterId = command.ClusterId ?? throw new ArgumentException("A child's provisioning names its cluster.", nameof(command));
        // A database in a cluster lives on its cluster's server, so on its cluster's host.
        var decided = ServiceInstanceDecisions.Decide(child, command with { Host = cluster.Host });
        if (decided is not Decision.Accepted) return (decided, null);
        if (ClusterRules.RefuseAttach(cluster, clusterId, command.OrganizationGuid, command.SpaceGuid, userId) is { } refused)
            return (new Decision.Rejected(refused), null);
        return (decided, new ChildInstanceAttached(clusterId, command.InstanceId, command.OperationId, command.OrganizationGuid,
            command.SpaceGuid, command.Now));
    }

    public static Decision Decide(ServiceInstance cluster, DetachChild command) =>
        cluster.Children.Any(c => c.ChildId == command.ChildId && c.ProvisionOperationId == command.ProvisionOperationId)
            ? new Decision.Accepted(command.ProvisionOperationId,
                [new ChildInstanceDetached(command.ClusterId, command.ChildId, command.ProvisionOperationId, command.Now)])
            : new Decision.AlreadyDone();
}
