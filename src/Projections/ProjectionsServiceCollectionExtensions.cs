using EventSourced.Projections.Backups;
using EventSourced.Projections.Clusters;
using EventSourced.Projections.Deployments;
using EventSourced.Projections.Hosts;
using EventSourced.Projections.Rebuild;
using EventSourced.Projections.ServiceBindings;
using EventSourced.Projections.ServiceInstances;
using EventSourced.Projections.Status;
using EventSourced.Projections.Streams;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Projections;

public static class ProjectionsServiceCollectionExtensions
{
    /// <summary>
    /// The read models, registered with Marten: last operations, binding operations, cluster members, orphaned VMs and backup schedules inline (read-your-writes), the
    /// instance directory asynchronous (run by the daemon). Their tables are part of Marten's schema (created, migrated
    /// and checked with the event store's own).
    /// </summary>
    /// <param name="runsAsyncProjections">
    /// False on a node whose daemon must not run the async read models (a worker without the projector role: its daemon
    /// runs the subscriptions only). Their tables stay in its schema all the same.
    /// </param>
    public static IServiceCollection AddReadModels(this IServiceCollection services, bool runsAsyncProjections = true)
    {
        services.AddSingleton<LastOperations>();
        services.AddSingleton<HostDirectory>();
        services.AddSingleton<BindingOperations>();
        services.AddSingleton<InstanceDirectory>();
        services.AddSingleton<ClusterMembers>();
        services.AddSingleton<OrphanedVmDirectory>();
        services.AddSingleton<BackupSchedules>();
        services.AddSingleton<StreamView>(sp => sp.GetRequiredService<LastOperations>());
        services.AddSingleton<StreamView>(sp => sp.GetRequiredService<BindingOperations>());
        services.AddSingleton<StreamView>(sp => sp.GetRequiredService<InstanceDirectory>());
        services.AddSingleton<StreamView>(sp => sp.GetRequiredService<ClusterMembers>());
        services.AddSingleton<StreamView>(sp => sp.GetRequiredService<OrphanedVmDirectory>());
        services.AddSingleton<StreamView>(sp => sp.GetRequiredService<BackupSchedules>());
        services.AddSingleton<StreamViewRebuilder>();
        services.AddSingleton<ProjectionStatus>();
        // A rebuild recomputes rows in place (StreamViewRebuilder), so Marten's teardown, which would empty the table that
        // last_operation reads, stays off.
        services.ConfigureMarten((sp, options) =>
        {
            foreach (var view in sp.GetServices<StreamView>())
            {
                if (runsAsyncProjections || view.Lifecycle != JasperFx.Events.Projections.ProjectionLifecycle.Async)
                    options.Projections.Add(view, view.Lifecycle, view.Name, async => async.TeardownDataOnRebuild = false);
                options.Storage.ExtendedSchemaObjects.Add(view.Table());
            }
        });
        return services;
    }
}
