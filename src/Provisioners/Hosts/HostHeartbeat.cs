using EventSourced.Commands.Hosts;
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
public sealed class HostHeartbeat(IDocumentStore store, IOptions<WorkerHostOptions> options, TimeProvider clock, ILogger<HostHeartbeat> logger)
    : BackgroundService
{
    private readonly WorkerHostOptions _host = options.Value;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await Beat(cancellationToken);
        logger.LogInformation("Registered as host {Host} (az {Az}, capacity {Capacity})", _host.Name, _host.Az ?? "none", _host.Capacity);
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

    private async Task Beat(CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var now = clock.GetUtcNow();
        var known = await session.LoadAsync<RegisteredHost>(_host.Name, ct);
        session.Store(new RegisteredHost(_host.Name, _host.Az, _host.Capacity, known?.RegisteredAt ?? now, now));
        await session.SaveChangesAsync(ct);
    }
}
