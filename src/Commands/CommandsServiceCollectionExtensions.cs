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
        services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
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
}
