using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Provisioners.Resurrector;

public static class ResurrectorServiceCollectionExtensions
{
    /// <summary>The resurrector of the local backend's servers; runs where that backend runs (worker nodes).</summary>
    public static IServiceCollection AddServerResurrector(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ResurrectorOptions>().Bind(configuration.GetSection(ResurrectorOptions.Section))
            .Validate(o => o.Interval >= TimeSpan.FromMilliseconds(100), $"{ResurrectorOptions.Section}:Interval must be at least 00:00:00.1")
            .ValidateOnStart();
        services.AddSingleton<ServerResurrector>();
        services.AddHostedService(sp => sp.GetRequiredService<ServerResurrector>());
        return services;
    }
}
