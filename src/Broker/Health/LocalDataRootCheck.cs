using EventSourced.Provisioners.Backends.Local;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.Health;

/// <summary>
/// On local-backend workers: the data root the dedicated servers live in exists and takes a new file (a probe written
/// and removed). A node whose data root is gone, unmounted or read-only cannot create or resurrect a server.
/// </summary>
public sealed class LocalDataRootCheck(IOptions<LocalBackendOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var root = options.Value.DataRoot;
        if (!Directory.Exists(root)) return HealthCheckResult.Unhealthy($"the data root {root} does not exist");
        var probe = Path.Combine(root, $".health-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            await File.WriteAllBytesAsync(probe, [], cancellationToken);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return HealthCheckResult.Unhealthy($"the data root {root} takes no new file ({e.Message})");
        }
        return HealthCheckResult.Healthy($"{root} is writable");
    }
}
