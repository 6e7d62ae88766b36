using EventSourced.Commands.Catalog;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.SubProvisioners;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Provisioners.Snapshots;

/// <summary>
/// What dumps or restores an instance's data and where that data is, as its provisioner says: the snapshot backend of its
/// instance implementation, and its database (a provisioner with a database step) or its whole server (one without).
/// One place for the exporter and the restorer, so neither knows any software.
/// </summary>
internal static class InstanceSnapshots
{
    /// <param name="doing">What the caller cannot do without a backend ("export", "restore"), for the error.</param>
    public static (ISnapshotBackend Backend, SnapshotTarget Target) Of(ServiceInstance state, IServiceProvider services, string doing)
    {
        var backends = services.GetService<ProvisionerBackends>() ?? new ProvisionerBackends(services);
        var backend = backends.SnapshotsOf(state.ServiceId) ?? throw new BackendException(
            services.GetService<ServiceCatalog>()?.ProvisionerOf(state.ServiceId) is { } provisioner
                ? $"the provisioner '{provisioner.Name}' cannot {doing} snapshots: its instance implementation '{provisioner.Definition.Provides.Instance}' has no snapshot backend on this broker"
                : $"this broker's backend cannot {doing} snapshots (the local backend can)");
        if (!backends.HasDatabase(state.ServiceId)) return (backend, new SnapshotTarget(state.Id, null, null));
        var placement = DatabasePlacement.Of(state);
        return (backend, new SnapshotTarget(placement.ServerInstanceId, placement.Database, placement.Owner));
    }
}
