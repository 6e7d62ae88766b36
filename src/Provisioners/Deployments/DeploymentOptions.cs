using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Provisioners.Deployments;

/// <summary>Settings of the deployment engine's local deploys ("Provisioners:Deployments").</summary>
public sealed class DeploymentOptions
{
    public const string Section = "Provisioners:Deployments";

    /// <summary>
    /// How long an orphaned VM (create-swap-delete's old VM) is kept before its host's sweeper deletes it: 5 minutes by
    /// default, as seed 002's background task. The API nodes read it too, to tell operators when an orphan goes.
    /// </summary>
    public TimeSpan OrphanGracePeriod { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often each worker's sweeper looks for its host's orphans whose grace period ran out.</summary>
    public TimeSpan OrphanSweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The settings, bound and checked at start (on API and worker nodes alike).</summary>
    public static IServiceCollection AddTo(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DeploymentOptions>().Bind(configuration.GetSection(Section))
            .Validate(o => o.OrphanGracePeriod >= TimeSpan.Zero, $"{Section}:OrphanGracePeriod must not be negative.")
            .Validate(o => o.OrphanSweepInterval > TimeSpan.Zero, $"{Section}:OrphanSweepInterval must be positive.")
            .ValidateOnStart();
        return services;
    }
}
