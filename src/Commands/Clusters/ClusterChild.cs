namespace EventSourced.Commands.Clusters;

/// <summary>A child database attached to a cluster, as the cluster's own stream knows it.</summary>
public sealed record ClusterChild(Guid ChildId, Guid ProvisionOperationId, string OrganizationGuid, string SpaceGuid);
