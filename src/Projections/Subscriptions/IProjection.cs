namespace EventSourced.Projections.Subscriptions;

/// <summary>A subscription that owns read-model tables: it can create them and be rebuilt from the log.</summary>
public interface IProjection : IEventSubscription
{
    /// <summary>Idempotent DDL (CREATE TABLE IF NOT EXISTS …).</summary>
    string Schema { get; }

    /// <summary>Truncated on rebuild.</summary>
    IReadOnlyList<string> Tables { get; }
}
