using EventSourced.Commands.CloudConfigs;
using EventSourced.Commands.Hosts;
using EventSourced.Deployments.Model;
using EventSourced.Deployments.Yaml;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Hosts;

/// <summary>
/// Registers this worker node as a host before the node takes work (so the API can place instances on it from the
/// first request), then beats every <see cref="WorkerHostOptions.HeartbeatInterval"/>. A beat that fails is logged and tried
/// again at the next one: PostgreSQL being away must not stop the node.
/// </summary>
public sealed class HostHeartbeat(
    IDocumentStore store, CloudConfigStore cloudConfigs, IOptions<WorkerHostOptions> options, TimeProvider clock, ILogger<HostHeartbeat> logger)
    : BackgroundService
{
    private readonly WorkerHostOptions _host = options.Value;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var registered = await Beat(cancellationToken);
        logger.LogInformation("Registered as host {Host} (az {Az}, capacity {Capacity})", _host.Name, registered.Az ?? "none",
            _host.Capacity?.ToString() ?? "unlimited");
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_host.HeartbeatInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try { await Beat(stoppingToken); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Host {Host}'s heartbeat failed; trying again in {Interval}", _host.Name, _host.HeartbeatInterval);
            }
        }
    }

    private async Task<RegisteredHost> Beat(CancellationToken ct)
    {
        var az = await AzInCloudConfig(ct) ?? _host.Az;
        await using var session = store.LightweightSession();
        var now = clock.GetUtcNow();
        var known = await session.LoadAsync<RegisteredHost>(_host.Name, ct);
        var beat = new RegisteredHost(_host.Name, az, _host.Capacity, known?.RegisteredAt ?? now, now, _host.HeartbeatInterval);
        session.Store(beat);
        await session.SaveChangesAsync(ct);
        return beat;
    }

    /// <summary>The AZ the current cloud config puts this host in (it wins over the configured one); null when it names none.</summary>
    private async Task<string?> AzInCloudConfig(CancellationToken ct)
    {
        if ((await cloudConfigs.Load(ct)).Current is not { } current) return null;
        // Validated when it was uploaded; a version that no longer loads (rules grew stricter) names no AZ rather than stop the beat.
        try
        {
            return CloudConfigLoader.Load($"cloud-config v{current.Version}", current.Yaml).Azs.FirstOrDefault(a => a.Hosts.Contains(_host.Name))?.Name;
        }
        catch (ConfigException)
        {
            return null;
        }
    }
}
