using EventSourced.TestSupport;
using EventSourced.Commands;
using EventSourced.Commands.EventStore;
using EventSourced.Projections;
using JasperFx.Events;
using Marten;

namespace EventSourced.Bench.Infrastructure;

/// <summary>
/// The product's Marten event store on a bench database, wired as the broker and its operator commands wire it
/// (<c>AddEventStore</c>: same StoreOptions, same tuned NpgsqlDataSource), without the web host, the bus or the daemon.
/// </summary>
public static class MartenNode
{
    public static async Task<ServiceProvider> Start(PostgresDatabase database, EventAppendMode mode, string schema = "broker", bool readModels = false)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Secrets:Key"] = Convert.ToBase64String(new byte[32]),
            ["EventStore:Schema"] = schema,
            ["EventStore:AppendMode"] = mode.ToString(),
            ["EventStore:AutoCreate"] = "CreateOrUpdate",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        services.AddEventStore(configuration);
        services.AddCommands(configuration);
        if (readModels) services.AddReadModels();
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        return provider;
    }
}
