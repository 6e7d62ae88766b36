using EventSourced.Broker.Admin;

namespace EventSourced.Broker.Dashboard;

/// <summary>What the instance page shows: the instance now (nothing secret), its catalog names, and its history.</summary>
public sealed record InstancePageModel(InstanceAsOf Instance, string ServiceName, string PlanName, IReadOnlyList<HistoryEntry> Timeline);
