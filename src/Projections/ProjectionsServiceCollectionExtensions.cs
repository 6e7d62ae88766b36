using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Daemon;
using EventSourced.Projections.ServiceInstances;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Projections;

public static class ProjectionsServiceCollectionExtensions
{
    /// <summary>The read models: last operations (inline and rebuildable) and the instance directory (asynchronous).</summary>
    public static IServiceCollection AddReadModels(this IServiceCollection services)
    {
        services.AddProjection<LastOperations>();
        services.AddSingleton<IServiceInstanceView>(sp => sp.GetRequiredService<LastOperations>());
        services.AddProjection<InstanceDirectory>();
        return services;
    }
}
