using EventSourced.Commands.Catalog;
using EventSourced.Commands.CloudConfigs;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.Fleet;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using FluentValidation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Commands;

public static class CommandsServiceCollectionExtensions
{
    /// <summary>The write side beside the event store (<see cref="EventStoreServiceCollectionExtensions.AddEventStore"/>): the catalog, the instance and binding streams, validators and secret protection.</summary>
    public static IServiceCollection AddCommands(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ServiceInstanceStore>();
        services.AddSingleton<CloudConfigStore>();
        services.AddSingleton<FleetStore>();
        services.AddSingleton<ServiceBindingStore>();
        services.AddSingleton<Clusters.ClusterStore>();
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<CatalogOptions>().Bind(configuration.GetSection(CatalogOptions.Section));
        services.AddOptions<ProvisionerDefinitionsOptions>().Bind(configuration.GetSection(ProvisionerDefinitionsOptions.Section));
        services.AddSingleton<ServiceCatalog>();
        services.AddSingleton<IValidator<ProvisionServiceInstance>, ProvisionServiceInstanceValidator>();
        services.AddSingleton<IValidator<InstanceUpdate>, InstanceUpdateValidator>();
        services.AddSingleton(_ => new SecretProtector(configuration["Secrets:Key"]
            ?? throw new InvalidOperationException("Secrets:Key is not configured (env Secrets__Key): 32 random bytes, base64.")));
        return services;
    }
}
