using EventSourced.Broker.Admin;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Clusters;

namespace EventSourced.Broker.Dashboard;

/// <summary>What the instance page shows: the instance now (nothing secret), its catalog names, and its history.</summary>
/// <param name="Children">A cluster's databases (null for any other instance).</param>
/// <param name="Cluster">The cluster a database lives in (null for any other instance): its server is the database's.</param>
/// <param name="ResourceUri">Where consoles talk to the instance (its provisioner's <c>ResourceUri</c>), null without a server.</param>
public sealed record InstancePageModel(
    InstanceAsOf Instance, string ServiceName, string PlanName, IReadOnlyList<HistoryEntry> Timeline, IReadOnlyList<ChildRow>? Children,
    InstanceAsOf? Cluster, string? ResourceUri = null)
{
    /// <summary>Where apps bound to the instance connect: its own server, or its cluster's while it has its database.</summary>
    public ServerInfo? Endpoint => Instance.Server ?? (Instance.Database is not null ? Cluster?.Server : null);
}

/// <param name="Link">The child's own page, with a link signed just now.</param>
public sealed record ChildRow(ClusterMember Member, string PlanName, string Link);
