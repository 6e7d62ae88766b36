using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Projections.Clusters;

/// <summary>A cluster or a database in one, as the dashboard and the cluster lookup see it (never a secret).</summary>
public sealed record ClusterMember(
    Guid InstanceId, Guid? ClusterId, string? Name, string PlanId, string OrganizationGuid, string SpaceGuid, string Status,
    Operation? LastOperation, DateTimeOffset UpdatedAt);
