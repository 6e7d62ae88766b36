using EventSourced.Commands.EventStore;
using EventSourced.Projections.Checkpoints;
using Microsoft.Extensions.Logging;

namespace EventSourced.Projections.Subscriptions;

/// <summary>
/// Feeds one subscription from the global log. Every batch is one transaction that first takes the subscription's
/// advisory lock, so across nodes (and a rebuild) exactly one runner applies any given batch; the checkpoint
/// compare-and-set is the backstop should two ever race anyway.
/// </summary>
public sealed class SubscriptionRunner(
    EventStore store,
    CheckpointStore checkpoints,
    IEventSubscription subscription,
    SubscriptionOptions options,
    ILogger logger,
    EventLogListener? listener = null,
    LogRead? read = null)
{
    private readonly LogRead read = read ?? store.ReadAll;

    private static readonly Task Never = new TaskCompletionSource().Task;
    private static readonly TimeSpan PendingRetry = TimeSpan.FromMilliseconds(10);

    public string Name => subscription.Name;

    /// <summary>Applies batches until the log has nothing visible past the checkpoint. Errors propagate.</summary>
    public async Task CatchUp(CancellationToken ct)
    {
        while (true)
        {
            var result = await RunBatchOrConflict(upTo: null, options.BatchSize, ct);
            if (result?.Outcome == BatchOutcome.CaughtUp) return;
            if (result?.Outcome == BatchOutcome.Locked) await Task.Delay(options.LockRetryDelay, ct);
        }
    }

    /// <summary>Runs until cancelled: applies batches, waits for a notification or the poll interval, retries errors.</summary>
    public async Task Run(CancellationToken ct)
    {
        var backoff = options.InitialBackoff;
        // Non-zero while a notified commit may not be visible yet: the horizon is cluster-wide, so any older
        // transaction still open on the server (in any database) hides it until it ends, and no second notification
        // comes when it does. Re-read soon, doubling up to the poll interval, instead of waiting a full interval.
        var pending = TimeSpan.Zero;
        while (!ct.IsCancellationRequested)
        {
            // Taken before reading, so a notification that arrives while the batch runs still wakes the wait below.
            var appended = listener?.NextAppend ?? Never;
            try
            {
                var result = await RunBatchOrConflict(upTo: null, options.BatchSize, ct);
                backoff = options.InitialBackoff;
                if (result?.Outcome == BatchOutcome.Applied) pending = TimeSpan.Zero;
                // A batch shorter than the batch size took everything visible: reading again at once would find nothing.
                var caughtUp = result is { Outcome: BatchOutcome.CaughtUp or BatchOutcome.Locked }
                               || (result is { Outcome: BatchOutcome.Applied } applied && applied.Count < options.BatchSize);
                if (caughtUp)
                {
                    var notified = await WaitForEvents(appended, pending > TimeSpan.Zero ? pending : options.PollInterval, ct);
                    pending = notified ? PendingRetry
                        : pending > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(pending.Ticks * 2, options.PollInterval.Ticks))
                        : TimeSpan.Zero;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Subscription {Subscription} failed; retrying in {Backoff}", Name, backoff);
                await Delay(backoff, ct);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.MaxBackoff.Ticks));
            }
        }
    }

    /// <summary>Null when another runner moved the checkpoint under us: nothing was applied, the caller just goes again.</summary>
    internal async Task<BatchResult?> RunBatchOrConflict(GlobalCursor? upTo, int batchSize, CancellationToken ct)
    {
        try
        {
            return await RunBatch(upTo, batchSize, ct);
        }
        catch (CheckpointConflictException e)
        {
            logger.LogWarning("Subscription {Subscription}: {Message}; reloading", Name, e.Message);
            return null;
        }
    }

    /// <summary>
    /// One transaction: lock, load the checkpoint, read the next batch (at most <paramref name="batchSize"/> events, not
    /// past <paramref name="upTo"/>), apply it and advance the checkpoint. A checkpoint conflict surfaces as an exception
    /// after the rollback.
    /// </summary>
    internal async Task<BatchResult> RunBatch(GlobalCursor? upTo, int batchSize, CancellationToken ct)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (!await SubscriptionLock.TryAcquire(connection, transaction, Name, ct)) return new(BatchOutcome.Locked, GlobalCursor.Start, GlobalCursor.Start, 0);

        var from = await checkpoints.Load(connection, transaction, Name, ct);
        var events = await read(from, batchSize, ct);
        var batch = upTo is { } horizon ? events.Where(e => e.Cursor.CompareTo(horizon) <= 0).ToList() : events;
        if (batch.Count == 0)
        {
            await transaction.CommitAsync(ct);
            return new(BatchOutcome.CaughtUp, from, from, 0);
        }

        await subscription.Handle(batch, connection, transaction, ct);
        await checkpoints.Advance(connection, transaction, Name, from, batch[^1].Cursor, ct);
        await transaction.CommitAsync(ct);
        logger.LogDebug("Subscription {Subscription} applied {Count} events up to {Cursor}", Name, batch.Count, batch[^1].Cursor);
        return new(BatchOutcome.Applied, from, batch[^1].Cursor, batch.Count);
    }

    /// <returns>Whether a notification (rather than the timeout) ended the wait.</returns>
    private static async Task<bool> WaitForEvents(Task appended, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            await appended.WaitAsync(timeout, ct);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static async Task Delay(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }
}

internal enum BatchOutcome { Applied, CaughtUp, Locked }

/// <param name="From">The checkpoint the batch started from (<see cref="GlobalCursor.Start"/> when locked out).</param>
/// <param name="To">The checkpoint after the batch.</param>
internal readonly record struct BatchResult(BatchOutcome Outcome, GlobalCursor From, GlobalCursor To, int Count);
