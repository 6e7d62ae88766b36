using EventSourced.Projections.ServiceInstances;

namespace EventSourced.Provisioners.Watchdog;

/// <summary>
/// Which quiet operations a watchdog pass nudges: those without progress (nor a nudge) for <c>NudgeAfter</c>, the
/// longest quiet first, at most <c>MaxNudgesPerPass</c>. A nudge sends a step again; when thousands of operations are
/// quiet because the workers are behind (not because commands were lost), sending them all again would double the
/// queues the workers are behind on, and again a minute later. Capped, the rest wait for the next passes, and each
/// nudged operation goes to the back of the line.
/// </summary>
public static class NudgeSelection
{
    public static IReadOnlyList<RunningOperation> Due(
        IEnumerable<RunningOperation> quiet, IReadOnlyDictionary<Guid, DateTimeOffset> nudgedAt, DateTimeOffset now, TimeSpan nudgeAfter, int max) =>
        quiet.Select(operation => (Operation: operation, Since: LastSign(operation, nudgedAt)))
            .Where(o => now - o.Since >= nudgeAfter)
            .OrderBy(o => o.Since).ThenBy(o => o.Operation.OperationId)
            .Take(max)
            .Select(o => o.Operation)
            .ToList();

    /// <summary>The operation's latest progress or nudge, whichever is later.</summary>
    public static DateTimeOffset LastSign(RunningOperation operation, IReadOnlyDictionary<Guid, DateTimeOffset> nudgedAt) =>
        nudgedAt.GetValueOrDefault(operation.OperationId) is var nudged && nudged > operation.ProgressedAt ? nudged : operation.ProgressedAt;
}
