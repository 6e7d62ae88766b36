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
        services.AddSingleton(_ => NpgsqlDataSource.Create(WithStatementCache(connectionString)));
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

    // The same few statements run for every request and every step of the flow: prepared once per connection, the
    // server skips their parse and plan (it shares the machine's cores with the broker). A setting given in the
    // connection string wins.
    private static string WithStatementCache(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (given.Keys.Cast<string>().Any(key => key.Replace(" ", "").Equals("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase)))
            return connectionString;
        return new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 64 }.ConnectionString;
    }
}
