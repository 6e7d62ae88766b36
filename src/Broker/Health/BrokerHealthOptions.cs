namespace EventSourced.Broker.Health;

/// <summary>Thresholds of <c>/health/ready</c>, bound from "Broker:Health".</summary>
public sealed class BrokerHealthOptions
{
    public const string Section = "Broker:Health";

    /// <summary>
    /// Events a projection or subscription may be behind the log before the projector reports itself degraded: a few
    /// pages of a busy log are normal, thousands mean the daemon is stuck or far too slow.
    /// </summary>
    public long ProjectionLagDegradedAfter { get; set; } = 1000;
}
