namespace EventSourced.Provisioners.Watchdog;

public sealed class OperationWatchdogOptions
{
    public const string Section = "Provisioners";

    /// <summary>
    /// How long an operation may stay in progress before it is failed (and a provisioning rolled back), unless its plan
    /// sets a maximum polling duration.
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long past its deadline an operation may still run (a provisioning's rollback, a removal retried): then the
    /// watchdog records it as failed itself, so that every operation ends.
    /// </summary>
    public TimeSpan RollbackTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long an operation may go without progress before its saga is nudged to send the step it waits on again (its
    /// command may sit in an error queue after retries ran out, e.g. while PostgreSQL restarted). Repeated as long as it
    /// stays quiet.
    /// </summary>
    public TimeSpan NudgeAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The most operations one watchdog pass nudges (the longest quiet first; the rest in the next passes): a backlog of
    /// quiet operations is sent again gradually, not all at once onto the queues the workers are behind on.
    /// </summary>
    public int MaxNudgesPerPass { get; set; } = 100;

    public TimeSpan WatchdogInterval { get; set; } = TimeSpan.FromSeconds(5);
}
