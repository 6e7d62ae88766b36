using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Provisioners.Reconciler;

public static class ReconcilerServiceCollectionExtensions
{
    /// <summary>The drift reconciler of the local backend (on demand: <c>GET /admin/drift</c>) and its periodic check.</summary>
    public static IServiceCollection AddDriftReconciler(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ReconcilerOptions>().Bind(configuration.GetSection(ReconcilerOptions.Section))
            .Validate(o => o.Interval >= TimeSpan.FromMilliseconds(100), $"{ReconcilerOptions.Section}:Interval must be at least 00:00:00.1")
            .ValidateOnStart();
        services.AddSingleton<DriftReconciler>();
        services.AddHostedService<PeriodicDriftCheck>();
        return services;
    }
}
