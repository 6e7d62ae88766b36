using EventSourced.Commands.EventStore;

namespace EventSourced.Projections.Rebuild;

/// <summary>
/// The log reads of one rebuild: a batch asked for by several projections (same cursor, same size) is read once, and
/// while they apply it the batch after it is read ahead, up to the rebuild's head.
/// </summary>
/// <remarks>
/// A read may be a moment old when a runner gets it and is still exact: ReadAll returns only events of transactions
/// below the horizon, which have all ended, and whatever becomes visible later sorts after them (see the horizon in
/// <see cref="EventStore"/>), so the log after the cursor only grows past the batch's end. A runner whose checkpoint
/// another runner moved simply asks for another cursor; the most recent reads are kept, two per projection.
/// </remarks>
internal sealed class SharedLogReads(EventStore store, GlobalCursor head, int projections) : IAsyncDisposable
{
    private readonly Lock gate = new();
    private readonly List<(GlobalCursor After, int MaxCount, Task<IReadOnlyList<RecordedEvent>> Events)> recent = [];

    public Task<IReadOnlyList<RecordedEvent>> ReadAll(GlobalCursor after, int maxCount, CancellationToken ct)
    {
        var read = Read(after, maxCount, ct);
        read.ContinueWith(done => ReadAhead(done.Result, maxCount, ct), CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return read;
    }

    /// <summary>
    /// Waits for the reads still kept, so a read ahead that no runner asked for does not run on after the rebuild. Their
    /// errors do not matter: a runner never gets a failed read, it reads again.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Task[] reads;
        lock (gate) reads = [.. recent.Select(r => r.Events)];
        await Task.WhenAll(reads).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private void ReadAhead(IReadOnlyList<RecordedEvent> batch, int maxCount, CancellationToken ct)
    {
        if (batch.Count == maxCount && batch[^1].Cursor.CompareTo(head) < 0) Read(batch[^1].Cursor, maxCount, ct);
    }

    private Task<IReadOnlyList<RecordedEvent>> Read(GlobalCursor after, int maxCount, CancellationToken ct)
    {
        lock (gate)
        {
            var index = recent.FindIndex(r => r.After == after && r.MaxCount == maxCount && !r.Events.IsFaulted && !r.Events.IsCanceled);
            var read = index >= 0 ? recent[index] : (After: after, MaxCount: maxCount, Events: store.ReadAll(after, maxCount, ct));
            if (index >= 0) recent.RemoveAt(index);
            recent.Insert(0, read);
            if (recent.Count > 2 * projections) recent.RemoveAt(recent.Count - 1);
            return read.Events;
        }
    }
}
