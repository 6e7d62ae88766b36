using EventSourced.Projections.Status;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.Health;

/// <summary>
/// On projector nodes: how far Marten's async projections and subscriptions (the bus forwarder among them) are behind
/// the log, from its progression table. Past <see cref="BrokerHealthOptions.ProjectionLagDegradedAfter"/> events the
/// node is degraded, naming the laggards; the lag is the cluster's (one daemon leads, HotCold), so every projector
/// reports it.
/// </summary>
public sealed class ProjectionLagCheck(ProjectionStatus status, IOptions<BrokerHealthOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var lags = await status.Read(cancellationToken);
        var limit = options.Value.ProjectionLagDegradedAfter;
        var data = lags.ToDictionary(lag => lag.Name, lag => (object)lag.Behind);
        var behind = lags.Where(lag => lag.Behind > limit).Select(lag => $"{lag.Name} is {lag.Behind} events behind").ToList();
        return behind.Count == 0
            ? HealthCheckResult.Healthy($"every projection within {limit} events of the log", data)
            : HealthCheckResult.Degraded(string.Join("; ", behind), data: data);
    }
}
