using EventSourced.Provisioners.Backends.Local;
using EventSourced.Provisioners.Backends.Simulated;
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
                services.AddSingleton<SimulatedBackend>();
                services.AddSingleton<IStorageBackend>(sp => sp.GetRequiredService<SimulatedBackend>());
                services.AddSingleton<IServerBackend>(sp => sp.GetRequiredService<SimulatedBackend>());
                services.AddSingleton<IDatabaseBackend>(sp => sp.GetRequiredService<SimulatedBackend>());
                // It stands in for every implementation a provisioner stanza may name.
                services.AddStandIn<SimulatedBackend>(typeof(LocalServerBackend));
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
}
