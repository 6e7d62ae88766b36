using EventSourced.Broker.Admin;
using EventSourced.Projections.Clusters;

namespace EventSourced.Broker.Dashboard;

/// <summary>What the instance page shows: the instance now (nothing secret), its catalog names, and its history.</summary>
/// <param name="Children">A cluster's databases (null for any other instance).</param>
public sealed record InstancePageModel(
    InstanceAsOf Instance, string ServiceName, string PlanName, IReadOnlyList<HistoryEntry> Timeline, IReadOnlyList<ChildRow>? Children);

/// <param name="Link">The child's own page, with a link signed just now.</param>
public sealed record ChildRow(ClusterMember Member, string PlanName, string Link);
