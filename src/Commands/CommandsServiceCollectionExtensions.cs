using System.Data.Common;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using FluentValidation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EventSourced.Commands;

public static class CommandsServiceCollectionExtensions
{
    /// <summary>The write side: event store on PostgreSQL, the catalog, the instance streams, validators and secret protection.</summary>
    public static IServiceCollection AddCommands(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("Postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:Postgres is not configured (env ConnectionStrings__Postgres).");
        services.AddSingleton(_ => NpgsqlDataSource.Create(Tuned(connectionString)));
        services.AddSingleton(EventTypeRegistry.FromAssemblies(typeof(ServiceInstance).Assembly));
        services.AddSingleton<EventStore.EventStore>();
        services.AddSingleton<ServiceInstanceStore>();
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<CatalogOptions>().Bind(configuration.GetSection(CatalogOptions.Section));
        services.AddSingleton<ServiceCatalog>();
        services.AddSingleton<IValidator<ProvisionServiceInstance>, ProvisionServiceInstanceValidator>();
        services.AddSingleton(_ => new SecretProtector(configuration["Secrets:Key"]
            ?? throw new InvalidOperationException("Secrets:Key is not configured (env Secrets__Key): 32 random bytes, base64.")));
        return services;
    }

    // Tuned for a broker whose every request and flow step runs the same few statements: prepared once per connection,
    // the server skips their parse and plan; and no reset when a connection goes back to the pool (a reset costs the
    // server six statements per use). Nothing of ours leaves session state behind: locks and settings are
    // transaction-scoped, and the one LISTEN connection ends its LISTEN before release. Settings given in the
    // connection string win.
    private static string Tuned(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(key => key.Replace(" ", "")).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var tuned = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.Contains(nameof(tuned.MaxAutoPrepare))) tuned.MaxAutoPrepare = 64;
        if (!given.Contains(nameof(tuned.NoResetOnClose))) tuned.NoResetOnClose = true;
        return tuned.ConnectionString;
    }
}
