namespace EventSourced.Projections.ReadCache;

/// <summary>The <c>ReadCache</c> configuration section: the per-node cache of last_operation rows.</summary>
public sealed class ReadCacheOptions
{
    public const string Section = "ReadCache";

    /// <summary>
    /// False: every last_operation poll reads the database, as before the cache, and appends send no change
    /// notifications. A deployment-wide setting: every node must have the same (a node with it off would not tell the
    /// others' caches about its writes).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The most instances whose latest operation is kept (least recently used go first).</summary>
    public int Capacity { get; set; } = 10_000;

    /// <summary>How long the change listener waits before connecting again after its connection failed.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);
}
