using EventSourced.Commands.Clusters;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Hosts;

namespace EventSourced.Broker.ServiceInstances;

/// <summary>
/// A provisioning request decided and recorded, whoever asked (an OSB platform or the ops API): a database in a cluster
/// is decided on its stream and its cluster's (and lives on the cluster's host); any other instance is placed on a host.
/// </summary>
public sealed class InstanceProvisioning(ServiceInstanceStore instances, ClusterStore clusters, HostDirectory hosts)
{
    /// <param name="command">With <c>ClusterId</c> resolved for a database in a cluster.</param>
    /// <param name="userId">Who asks, for a cluster's sharing rules.</param>
    public async Task<Decision> Decide(ProvisionServiceInstance command, string? userId, EventMetadata metadata, CancellationToken ct)
    {
        if (command.Shape == InstanceShape.ClusterDatabase)
            return await clusters.ProvisionChild(command.InstanceId, command.ClusterId!.Value,
                (state, cluster) => ClusterDecisions.Decide(state, cluster, command, userId), metadata, ct);
        // Asked for AZs (checked against the cloud config): the primary goes to a host of the first, its replicas to the others.
        var among = command.Cloud is { } cloud && AzSpread.Of(command.Parameters) is [var first, ..]
            ? cloud.Azs.Where(a => a.Name == first).SelectMany(a => a.Hosts).ToHashSet()
            : null;
        var (host, noRoom) = await hosts.Place(ct, among);
        var placed = command with { Host = host, NoRoom = noRoom };
        return await instances.Handle(command.InstanceId, state => ServiceInstanceDecisions.Decide(state, placed), metadata, ct: ct);
    }
}
