namespace EventSourced.Projections.Subscriptions;

public sealed class SubscriptionOptions
{
    public const string Section = "Subscriptions";

    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// Events per transaction while rebuilding. Larger than <see cref="BatchSize"/>: a rebuild replays the whole log,
    /// and a batch's lock, checkpoint, read query and commit cost the same whatever its size. A runner of the projection
    /// on a serving node meanwhile waits at most one such batch.
    /// </summary>
    public int RebuildBatchSize { get; set; } = 5000;

    /// <summary>
    /// How often a caught-up runner reads the log without a notification. Required, not only a fallback for lost
    /// notifications: events of an older transaction that was still open become visible when it ends, and that
    /// transaction's own notification may have arrived while it was still holding the horizon back.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a catch-up waits before retrying when another runner holds the subscription's lock.</summary>
    public TimeSpan LockRetryDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);
}
