using System.Diagnostics;
using EventSourced.Commands.EventStore;
using EventSourced.Projections.Subscriptions;
using Microsoft.Extensions.Logging;

namespace EventSourced.Projections.Rebuild;

/// <summary>
/// One projection's part of a rebuild: applies batches up to the head and counts the events replayed into it, by this
/// rebuild or by a runner it alternated with.
/// </summary>
internal sealed class ProjectionReplay(
    EventStore store, SubscriptionRunner runner, SubscriptionOptions options, long total, IProgress<RebuildProgress>? progress, ILogger logger)
{
    private readonly Stopwatch stopwatch = Stopwatch.StartNew();
    private GlobalCursor known = GlobalCursor.Start;
    private long processed;

    public bool Done { get; private set; }

    /// <summary>Applies the next batch, or finds the projection at the head, or waits out another runner's lock.</summary>
    public async Task Step(GlobalCursor head, CancellationToken ct)
    {
        var result = await runner.RunBatchOrConflict(upTo: head, options.RebuildBatchSize, ct);
        if (result is null) return;
        if (result.Value.Outcome == BatchOutcome.Locked)
        {
            await Task.Delay(options.LockRetryDelay, ct);
            return;
        }

        var (outcome, from, to, count) = result.Value;
        if (from != known) processed += await CountBetween(known, from, ct);
        if (outcome == BatchOutcome.CaughtUp)
        {
            Done = true;
            Report();
            logger.LogInformation("Rebuilt {Projection}: {Processed} events in {Elapsed}", runner.Name, processed, stopwatch.Elapsed);
            return;
        }
        processed += count;
        known = to;
        Report();
    }

    public void Report() =>
        progress?.Report(new RebuildProgress(runner.Name, processed, total, processed / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-3)));

    // Another runner applied the events in (from, to]. Both cursors came out of ReadAll, so every transaction up to
    // them has finished: that range no longer changes, and events becoming visible meanwhile all sort after `to`, so
    // they are in both counts. Each count has its own snapshot, though: the difference is exact only when nothing new
    // became visible between them, which the repeated count of `to` confirms.
    private async Task<long> CountBetween(GlobalCursor from, GlobalCursor to, CancellationToken ct)
    {
        var afterFrom = 0L;
        var afterTo = await store.CountVisible(to, ct);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            afterFrom = await store.CountVisible(from, ct);
            var again = await store.CountVisible(to, ct);
            if (again == afterTo) break;
            afterTo = again;
        }
        return Math.Max(0, afterFrom - afterTo);
    }
}
