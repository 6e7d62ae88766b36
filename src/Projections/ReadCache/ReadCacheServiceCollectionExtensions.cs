using EventSourced.Commands.EventStore;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Projections.ReadCache;

public static class ReadCacheServiceCollectionExtensions
{
    /// <summary>
    /// This node's cache of last_operations rows (<c>ReadCache</c> section), its change listener on a connection of its
    /// own (the <c>Postgres</c> connection string, unpooled) and the session listener that puts this node's own writes.
    /// </summary>
    public static IServiceCollection AddReadCache(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ReadCacheOptions>().Bind(configuration.GetSection(ReadCacheOptions.Section))
            .Validate(o => o.Capacity > 0, "ReadCache:Capacity must be positive.")
            .ValidateOnStart();
        services.AddSingleton(sp => new LastOperationCache(sp.GetRequiredService<IOptions<ReadCacheOptions>>().Value));
        services.AddHostedService(sp => new ChangeListener(sp.GetRequiredService<LastOperationCache>(),
            configuration.GetConnectionString("Postgres")!, sp.GetRequiredService<IOptions<EventStoreOptions>>().Value.Schema,
            sp.GetRequiredService<IOptions<ReadCacheOptions>>().Value, sp.GetRequiredService<ILogger<ChangeListener>>()));
        services.ConfigureMarten((sp, options) => options.Listeners.Add(new CommittedRows(sp.GetRequiredService<LastOperationCache>())));
        return services;
    }
}
