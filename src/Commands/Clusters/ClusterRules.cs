using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Clusters;

/// <summary>The rules and wording of a cluster's relation to its children (the seed's messages, word for word).</summary>
public static class ClusterRules
{
    /// <summary>The children in a stable order: by their id's text.</summary>
    public static string DeleteRefused(IEnumerable<ClusterChild> children) =>
        "can not delete cluster service instance with child service instances ("
        + string.Join(", ", children.Select(c => c.ChildId.ToString()).Order(StringComparer.Ordinal).Select(id => $"guid={id}"))
        + "). Use dashboard to list all child service instance details.";

    public static string PermissionRefused(string? userId, Guid clusterId) =>
        $"requesting user (userGuid={userId ?? "unknown"}) has not permission to access cluster service-instance guid={clusterId}";

    /// <summary>The cluster's own space, or a space its shares cover.</summary>
    public static bool MayAttach(ServiceInstance cluster, string org, string space) =>
        (cluster.OrganizationGuid == org && cluster.SpaceGuid == space) || cluster.Shares.Any(share => share.Covers(org, space));

    /// <summary>Why the new shares may not replace the current ones: a child from a space they no longer cover. Null when they may.</summary>
    public static string? UnshareRefused(ServiceInstance cluster, IReadOnlyList<ClusterShare> shares)
    {
        var stranded = cluster.Children
            .Where(c => !(c.OrganizationGuid == cluster.OrganizationGuid && c.SpaceGuid == cluster.SpaceGuid)
                        && !shares.Any(share => share.Covers(c.OrganizationGuid, c.SpaceGuid)))
            .ToList();
        if (stranded.Count == 0) return null;
        var spaces = stranded.Select(c => $"org {c.OrganizationGuid} space {c.SpaceGuid}").Distinct().Order(StringComparer.Ordinal);
        return $"can not unshare cluster service instance guid={cluster.Id} from {string.Join(", ", spaces)}: child service instances "
            + $"({string.Join(", ", stranded.Select(c => c.ChildId.ToString()).Order(StringComparer.Ordinal).Select(id => $"guid={id}"))}) "
            + "live there. Delete them first.";
    }

    /// <summary>Why a database cannot be created in this cluster now; null when it can.</summary>
    public static DomainError? RefuseAttach(ServiceInstance cluster, Guid clusterId, string org, string space, string? userId) =>
        !cluster.Exists || cluster.Shape != InstanceShape.Cluster
            ? new DomainError(DomainErrorCode.Invalid, $"cluster service instance guid={clusterId} does not exist.")
        : cluster.Status == InstanceStatus.Provisioning
            ? new DomainError(DomainErrorCode.Invalid, $"cluster service instance guid={clusterId} is not ready yet: it is being provisioned.")
        : cluster.Status == InstanceStatus.ProvisioningFailed
            ? new DomainError(DomainErrorCode.Invalid, $"cluster service instance guid={clusterId} is not ready: its provisioning failed.")
        : cluster.Status is InstanceStatus.Deprovisioning or InstanceStatus.DeprovisioningFailed
            ? new DomainError(DomainErrorCode.Invalid, $"cluster service instance guid={clusterId} is being deleted.")
        : !MayAttach(cluster, org, space)
            ? new DomainError(DomainErrorCode.Invalid, PermissionRefused(userId, clusterId))
        : cluster.Busy
            ? new DomainError(DomainErrorCode.ConcurrencyError,
                $"cluster service instance guid={clusterId} has operation {cluster.LastOperation!.Id} in progress; try again when it ends.")
        : null;
}
