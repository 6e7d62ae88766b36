using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EventSourced.Provisioners.Backends;

/// <summary>At start, brings back every provisioned server whose process died while the broker was away.</summary>
internal sealed class ServerReconciler(ProvisionerBackends backends, ILogger<ServerReconciler> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var resurrected = 0;
        foreach (var servers in backends.AllServers()) resurrected += await servers.ResurrectStopped(stoppingToken);
        if (resurrected > 0) log.LogInformation("Restarted {Count} dedicated servers that had stopped", resurrected);
    }
}
