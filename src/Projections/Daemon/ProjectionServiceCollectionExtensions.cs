using EventSourced.Commands.EventStore;
using EventSourced.Projections.Checkpoints;
using EventSourced.Projections.Rebuild;
using EventSourced.Projections.Subscriptions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventSourced.Projections.Daemon;

public static class ProjectionServiceCollectionExtensions
{
    /// <summary>
    /// The daemon, rebuilder and status reader; expects <see cref="EventStore"/> to be registered. Options come from the
    /// <c>Subscriptions</c> section of <paramref name="configuration"/>, then <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddProjectionDaemon(
        this IServiceCollection services, IConfiguration? configuration = null, Action<SubscriptionOptions>? configure = null)
    {
        var options = services.AddOptions<SubscriptionOptions>();
        if (configuration is not null) options.Bind(configuration.GetSection(SubscriptionOptions.Section));
        options.Configure(configure ?? (_ => { }));
        services.AddSingleton(sp => new CheckpointStore(sp.GetRequiredService<EventStore>().DataSource));
        services.AddSingleton(sp => new EventLogListener(sp.GetRequiredService<EventStore>(), sp.GetRequiredService<ILogger<EventLogListener>>()));
        services.AddSingleton<ProjectionRebuilder>();
        services.AddSingleton<ProjectionStatus>();
        services.AddHostedService<ProjectionDaemon>();
        return services;
    }

    /// <summary>Registers one instance as both <see cref="IProjection"/> and <see cref="IEventSubscription"/>.</summary>
    public static IServiceCollection AddProjection<T>(this IServiceCollection services) where T : class, IProjection
    {
        services.AddSingleton<T>();
        services.AddSingleton<IProjection>(sp => sp.GetRequiredService<T>());
        services.AddSingleton<IEventSubscription>(sp => sp.GetRequiredService<T>());
        return services;
    }

    public static IServiceCollection AddSubscription<T>(this IServiceCollection services) where T : class, IEventSubscription
    {
        services.AddSingleton<T>();
        services.AddSingleton<IEventSubscription>(sp => sp.GetRequiredService<T>());
        return services;
    }
}
