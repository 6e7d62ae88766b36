using JasperFx;
using JasperFx.Events;
using Marten;
using Marten.Exceptions;
using Npgsql;
using MartenStreamCollision = Marten.Exceptions.ExistingStreamIdCollisionException;
using StreamCollision = JasperFx.Events.ExistingStreamIdCollisionException;

namespace EventSourced.Commands.EventStore;

/// <summary>
/// Commits the appends of concurrent commands together: the appends that arrive while a commit is in flight are saved
/// in the next one, in one Marten session and transaction (one commit, one WAL flush for all of them), each at its own
/// stream's expected version. A batch of one goes at once, so a lone command waits for nobody. Marten fails a session
/// as a whole, so a batch is taken apart here: an append whose expected version does not hold (or whose inbox entry
/// exists) is answered on its own and the rest of the batch is saved again without it; a second append to a stream
/// already in the batch waits for the batch and then loses like any late writer; a database failure fails the whole
/// batch, and nothing of it is recorded (one transaction).
/// </summary>
public sealed class GroupCommit : IAsyncDisposable
{
    /// <summary>The most appends saved in one transaction: bounds a session's size and the statement it sends.</summary>
    public const int MaxBatch = 128;

    private readonly IDocumentStore store;
    private readonly Lock gate = new();
    private readonly Queue<PendingAppend> waiting = new();
    private bool writing;
    private bool disposed;

    public GroupCommit(IDocumentStore store) => this.store = store;

    /// <summary>
    /// Saves <paramref name="append"/> with whatever else is waiting. True once committed; false when its inbox entry
    /// already existed (the message was handled before: nothing of it was committed).
    /// </summary>
    /// <remarks>
    /// No commit in flight: the caller commits at once, on its own thread, with what waits (a lone command pays no
    /// hand-over to another thread: on a saturated 2-core machine each hop cost milliseconds). A commit in flight: the
    /// append waits for the next one, which a background writer saves when the current one ends, and so on while
    /// appends keep arriving.
    /// </remarks>
    /// <exception cref="WrongExpectedVersionException">Another writer got to one of its streams first; nothing of it was committed.</exception>
    /// <exception cref="EventStoreFailureException">The database failed the batch; nothing of the batch was committed.</exception>
    public async Task<bool> Commit(PendingAppend append)
    {
        bool lead;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            waiting.Enqueue(append);
            lead = !writing;
            writing = true;
        }
        if (lead)
        {
            await Save(Take());
            if (!StopIfIdle())
            {
                // Started without this caller's execution context: its Activity would stay current in the writer.
                using (ExecutionContext.SuppressFlow()) _ = Task.Run(Write);
            }
        }
        return await append.Outcome.Task;
    }

    private async Task Write()
    {
        do await Save(Take());
        while (!StopIfIdle());
    }

    private List<PendingAppend> Take()
    {
        lock (gate)
        {
            var batch = new List<PendingAppend>(Math.Min(waiting.Count, MaxBatch));
            while (batch.Count < MaxBatch && waiting.TryDequeue(out var append)) batch.Add(append);
            return batch;
        }
    }

    /// <summary>True (and the next caller leads) when nothing waits; false when appends arrived during the last commit.</summary>
    private bool StopIfIdle()
    {
        lock (gate)
        {
            if (waiting.Count > 0) return false;
            writing = false;
            return true;
        }
    }

    /// <summary>Saves one batch and answers every append in it (never throws: each append gets its own outcome).</summary>
    public async Task Save(IReadOnlyList<PendingAppend> batch)
    {
        // One append per stream per transaction: a later one in the same batch was decided on the version the first
        // one changes, so it is answered as a lost race once the first is committed (its command decides again).
        var streams = new HashSet<string>();
        var late = new List<PendingAppend>();
        var pending = new List<PendingAppend>(batch.Count);
        foreach (var append in batch)
        {
            if (append.Streams.All(s => streams.Add(s.Key))) pending.Add(append);
            else late.Add(append);
        }
        try
        {
            await SaveTogether(pending);
        }
        catch (Exception e)
        {
            // Taking a failed batch apart failed too (its streams' versions could not be read): nothing is left waiting.
            var failure = EventStoreFailureException.Translates(e) ? EventStoreFailureException.From(e) : e;
            foreach (var append in pending) append.Outcome.TrySetException(failure);
        }
        foreach (var append in late)
            append.Outcome.TrySetException(new WrongExpectedVersionException(append.Streams[0].Key, append.Streams[0].ExpectedVersion));
    }

    private async Task SaveTogether(List<PendingAppend> pending)
    {
        while (pending.Count > 0)
        {
            try
            {
                await SaveInOneTransaction(pending);
                foreach (var append in pending) append.Outcome.TrySetResult(true);
                return;
            }
            catch (DocumentAlreadyExistsException e) when (e.DocumentType == typeof(InboxEntry) && Remove(pending, a => a.Inbox?.Id == e.Id?.ToString()) is { } handledBefore)
            {
                handledBefore.Outcome.TrySetResult(false);
            }
            catch (Exception e) when (IsConflict(e) && pending.Count > 1)
            {
                // Marten names a stream in its conflict, but not always the one that lost (a second StartStream's
                // collision was reported on the batch's first new stream): the streams' versions decide.
                var losers = await Stale(pending);
                if (losers.Count == 0) break;
                foreach (var (loser, stream) in losers)
                {
                    pending.Remove(loser);
                    loser.Outcome.TrySetException(new WrongExpectedVersionException(stream.Key, stream.ExpectedVersion, e));
                }
            }
            catch (Exception e) when (EventStoreFailureException.Translates(e) && !IsConflict(e))
            {
                var failure = EventStoreFailureException.From(e);
                foreach (var append in pending) append.Outcome.TrySetException(failure);
                return;
            }
            catch (Exception) when (pending.Count > 1)
            {
                // Not attributable to one append (a conflict Marten did not name, an event that does not serialize):
                // each is saved alone, so only its own command gets the error.
                foreach (var append in pending) await SaveTogether([append]);
                return;
            }
            catch (Exception e)
            {
                var append = pending[0];
                append.Outcome.TrySetException(IsConflict(e)
                    ? new WrongExpectedVersionException(append.Streams[0].Key, append.Streams[0].ExpectedVersion, e)
                    : e);
                return;
            }
        }
        // A conflict no stream's version explains any more (its writer committed in between): each on its own.
        foreach (var append in pending) await SaveTogether([append]);
    }

    /// <summary>The appends whose expected version no longer holds, read from the streams' rows.</summary>
    private async Task<List<(PendingAppend Append, GroupedStream Stream)>> Stale(IReadOnlyList<PendingAppend> pending)
    {
        var keys = pending.SelectMany(a => a.Streams).Select(s => s.Key).ToArray();
        var versions = new Dictionary<string, long>();
        await using (var connection = store.Storage.Database.CreateConnection())
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                $"SELECT id, version FROM {store.Options.DatabaseSchemaName}.mt_streams WHERE id = ANY($1)", connection)
            { Parameters = { new NpgsqlParameter { Value = keys } } };
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) versions[reader.GetString(0)] = reader.GetInt64(1);
        }
        return pending.SelectMany(a => a.Streams.Select(s => (Append: a, Stream: s)))
            .Where(x => (versions.TryGetValue(x.Stream.Key, out var version) ? version : StreamVersion.NoStream) != x.Stream.ExpectedVersion)
            .DistinctBy(x => x.Append)
            .ToList();
    }

    private async Task SaveInOneTransaction(IReadOnlyList<PendingAppend> pending)
    {
        await using var session = store.LightweightSession();
        // Each append carries its own command's metadata (stamped on its events), none of the session's.
        (session.CorrelationId, session.CausationId) = (null, null);
        // Rich append reserves the events' sequence numbers in a query before its writes: inside the transaction, so the
        // daemon's gap detection sees a live reserver until the commit (see StreamStore).
        await session.BeginTransactionAsync(CancellationToken.None);
        foreach (var append in pending)
        {
            foreach (var stream in append.Streams)
            {
                if (stream.Read is { } read) SessionStreams.Remember(session, stream.Key, read);
                var action = StreamStore.Append(session, stream.Key, stream.ExpectedVersion, stream.Events);
                append.Stamp(action.Events);
            }
            if (append.Inbox is { } inbox) session.Insert(inbox);
        }
        await session.SaveChangesAsync();
    }

    private static bool IsConflict(Exception e) => e is ConcurrencyException or MartenStreamCollision or StreamCollision;

    private static PendingAppend? Remove(List<PendingAppend> pending, Func<PendingAppend, bool> match)
    {
        var index = pending.FindIndex(a => match(a));
        if (index < 0) return null;
        var found = pending[index];
        pending.RemoveAt(index);
        return found;
    }

    /// <summary>Refuses new appends and waits (at most 30 s) for those accepted to be saved.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (gate) disposed = true;
        for (var waited = 0; waited < 3000 && Volatile.Read(ref writing); waited++) await Task.Delay(10);
    }
}

/// <summary>One stream's part of a <see cref="PendingAppend"/>: the events read (for the inline projections) and the new ones.</summary>
public sealed record GroupedStream(string Key, long ExpectedVersion, IReadOnlyList<IDomainEvent> Events, IReadOnlyList<IEvent>? Read);

/// <summary>
/// What one decided command appends, waiting for its group's commit: its streams, its metadata (stamped on its own
/// events, not on the shared session's) and its inbox entry.
/// </summary>
public sealed class PendingAppend(IReadOnlyList<GroupedStream> streams, EventMetadata metadata, InboxEntry? inbox)
{
    private readonly string? traceparent = EventTrace.Current();

    public IReadOnlyList<GroupedStream> Streams { get; } = streams;
    public EventMetadata Metadata { get; } = metadata;
    public InboxEntry? Inbox { get; } = inbox;

    /// <summary>Completed by the committer: true committed, false handled before; faulted with why nothing was committed.</summary>
    public TaskCompletionSource<bool> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal void Stamp(IEnumerable<IEvent> events)
    {
        foreach (var e in events)
        {
            e.CorrelationId = Metadata.CorrelationId.ToString();
            e.CausationId = Metadata.CausationId?.ToString();
            if (Metadata.OriginatingIdentity is not null) e.SetHeader(EventMetadata.OriginatingIdentityHeader, Metadata.OriginatingIdentity);
            if (Metadata.RequestIdentity is not null) e.SetHeader(EventMetadata.RequestIdentityHeader, Metadata.RequestIdentity);
            if (traceparent is not null) e.SetHeader(EventTrace.Header, traceparent);
        }
    }
}
