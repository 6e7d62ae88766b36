using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.Clusters;

/// <summary>
/// On the cluster's stream, in the transaction of the child's provisioning request: from now on the cluster cannot be
/// deleted until the child is detached. <paramref name="ProvisionOperationId"/> names the child's life this attachment
/// belongs to, so that a late detach of an earlier life leaves a newer one attached.
/// </summary>
public sealed record ChildInstanceAttached(
    Guid ClusterId, Guid ChildId, Guid ProvisionOperationId, string OrganizationGuid, string SpaceGuid, DateTimeOffset AttachedAt) : IDomainEvent;

/// <summary>The child's life named by its provisioning operation ended (deprovisioned, or its provisioning failed).</summary>
public sealed record ChildInstanceDetached(Guid ClusterId, Guid ChildId, Guid ProvisionOperationId, DateTimeOffset DetachedAt) : IDomainEvent;
