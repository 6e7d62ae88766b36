using EventSourced.Commands.EventStore;
using EventSourced.Provisioners.Backends.Local;
using EventSourced.Provisioners.Backends.Simulated;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using EventSourced.Commands.Catalog;

namespace EventSourced.Provisioners.Backends;

public static class BackendServiceCollectionExtensions
{
    public const string BackendSetting = "Provisioners:Backend";

    /// <summary>The backend the sub-provisioners drive: <c>local</c> (default, real servers) or <c>simulated</c>.</summary>
    public static IServiceCollection AddBackend(this IServiceCollection services, IConfiguration configuration)
    {
        switch (configuration[BackendSetting]?.ToLowerInvariant() ?? "local")
        {
            case "local":
                services.AddLocalBackend(configuration);
                break;
            case "simulated":
                services.AddOptions<SimulatedBackendOptions>().Bind(configuration.GetSection(SimulatedBackendOptions.SectionName));
                // One model stands in for every implementation a provisioner stanza may name.
                if (SharesSimulatedState(configuration)) AddAsEveryBackend<SharedSimulatedBackend>(services.AddSimulatedTables(configuration));
                else AddAsEveryBackend<SimulatedBackend>(services);
                break;
            case var other:
                throw new InvalidOperationException($"{BackendSetting} '{other}' is not a backend: use 'local' or 'simulated'.");
        }
        services.TryAddSingleton<ProvisionerBackends>();
        services.AddSingleton<IValidateOptions<ProvisionerDefinitionsOptions>, ProvisionerImplementationCheck>();
        services.AddOptions<ProvisionerDefinitionsOptions>().ValidateOnStart();
        services.AddHostedService<ServerReconciler>();
        return services;
    }

    /// <summary>
    /// The shared simulated backend's tables in Marten's schema, when configured (<c>Provisioners:Simulated:Shared</c>):
    /// for the workers, and for <c>db apply</c>, which creates the schema production runs on.
    /// </summary>
    public static IServiceCollection AddSimulatedTables(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration[BackendSetting]?.ToLowerInvariant() == "simulated" && SharesSimulatedState(configuration))
            services.ConfigureMarten((sp, options) =>
            {
                foreach (var table in new SimulatedTables(sp.GetRequiredService<IOptions<EventStoreOptions>>().Value.Schema).SchemaObjects())
                    options.Storage.ExtendedSchemaObjects.Add(table);
            });
        return services;
    }

    private static bool SharesSimulatedState(IConfiguration configuration) =>
        configuration.GetSection(SimulatedBackendOptions.SectionName).GetValue<bool>(nameof(SimulatedBackendOptions.Shared));

    /// <summary>One instance serves as the storage, server and database backend, and stands in for every named implementation.</summary>
    private static void AddAsEveryBackend<TBackend>(IServiceCollection services) where TBackend : class, IStorageBackend, IServerBackend, IDatabaseBackend
    {
        services.AddSingleton<TBackend>();
        services.AddSingleton<IStorageBackend>(sp => sp.GetRequiredService<TBackend>());
        services.AddSingleton<IServerBackend>(sp => sp.GetRequiredService<TBackend>());
        services.AddSingleton<IDatabaseBackend>(sp => sp.GetRequiredService<TBackend>());
        services.AddStandIn<TBackend>(typeof(LocalServerBackend));
    }
}
