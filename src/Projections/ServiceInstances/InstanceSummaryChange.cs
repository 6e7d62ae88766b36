using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Projections.ServiceInstances;

/// <summary>
/// What one event does to its instance's directory row: null means no row (never created, or deprovisioned). An event
/// for an instance without a row changes nothing, except the provisioning request that creates it.
/// </summary>
internal sealed record InstanceSummaryChange(Guid InstanceId, Func<InstanceSummary?, InstanceSummary?> Evolve)
{
    /// <param name="at">When the event was recorded: the row's created_at and updated_at.</param>
    public static InstanceSummaryChange? Of(IDomainEvent e, DateTimeOffset at) => e switch
    {
        ServiceInstanceProvisioningRequested r => new(r.InstanceId, row => row is null
            ? new InstanceSummary(r.InstanceId, r.ServiceId, r.PlanId, r.OrganizationGuid, r.SpaceGuid, nameof(InstanceStatus.Provisioning),
                r.DiskMb, DataDirectory: null, Host: null, Port: null, Database: null, CreatedAt: at, UpdatedAt: at)
            : row with
            {
                ServiceId = r.ServiceId, PlanId = r.PlanId, OrganizationGuid = r.OrganizationGuid, SpaceGuid = r.SpaceGuid,
                Status = nameof(InstanceStatus.Provisioning), DiskMb = r.DiskMb, UpdatedAt = at,
            }),
        StorageProvisioned s => Existing(s.InstanceId, row => row with { DataDirectory = s.DataDirectory, UpdatedAt = at }),
        ServerProvisioned s => Existing(s.InstanceId, row => row with { Host = s.Host, Port = s.Port, UpdatedAt = at }),
        DatabaseProvisioned d => Existing(d.InstanceId, row => row with { Database = d.Database, UpdatedAt = at }),
        StorageDeprovisioned s => Existing(s.InstanceId, row => row with { DataDirectory = null, UpdatedAt = at }),
        ServerDeprovisioned s => Existing(s.InstanceId, row => row with { Host = null, Port = null, UpdatedAt = at }),
        DatabaseDeprovisioned d => Existing(d.InstanceId, row => row with { Database = null, UpdatedAt = at }),
        ServiceInstanceProvisioned p => Status(p.InstanceId, InstanceStatus.Provisioned, at),
        ServiceInstanceProvisioningFailed f => Status(f.InstanceId, InstanceStatus.ProvisioningFailed, at),
        ServiceInstanceDeprovisioningRequested d => Status(d.InstanceId, InstanceStatus.Deprovisioning, at),
        ServiceInstanceDeprovisioningFailed f => Status(f.InstanceId, InstanceStatus.DeprovisioningFailed, at),
        ServiceInstanceDeprovisioned d => new(d.InstanceId, _ => null),
        _ => null,
    };

    private static InstanceSummaryChange Status(Guid instanceId, InstanceStatus status, DateTimeOffset at) =>
        Existing(instanceId, row => row with { Status = status.ToString(), UpdatedAt = at });

    private static InstanceSummaryChange Existing(Guid instanceId, Func<InstanceSummary, InstanceSummary> evolve) =>
        new(instanceId, row => row is null ? null : evolve(row));
}
