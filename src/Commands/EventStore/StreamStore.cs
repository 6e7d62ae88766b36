using EventSourced.Commands.ServiceInstances;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace EventSourced.Commands.EventStore;

/// <summary>
/// Runs one command against one Marten event stream: read the stream, decide, append at the version the decision was
/// taken on, commit (with the inline projections and the consumer's inbox entry, in one transaction). When another
/// writer got there first, the decision is taken again on the new state, never applied on a stale one.
/// </summary>
public sealed class StreamStore(IDocumentStore store, TimeProvider clock, bool groupCommit = true) : IAsyncDisposable
{
    public const int MaxAttempts = 5;

    private readonly GroupCommit group = new(store);

    public IDocumentStore Store { get; } = store;


    /// <summary>A stream's events (payloads only) and its version; no events and version 0 when it does not exist.</summary>
    public async Task<(IReadOnlyList<IDomainEvent> Events, long Version)> Read(string streamKey, CancellationToken ct = default)
    {
        await using var session = Store.QuerySession();
        return Payloads(await Fetch(session, streamKey, ct));
    }

    /// <summary>
    /// <paramref name="decide"/> gets the stream's events and the session that will append, in which it may read other
    /// streams (a binding reads its instance); it runs again on every attempt. After <see cref="MaxAttempts"/> lost races
    /// the caller gets a ConcurrencyError.
    /// </summary>
    public Task<Decision> Handle(
        string streamKey, Func<IReadOnlyList<IDomainEvent>, IDocumentSession, CancellationToken, Task<Decision>> decide, EventMetadata metadata,
        Deduplication? deduplication = null, CancellationToken ct = default) =>
        Run(streamKey, exclusive: false, decide, metadata, deduplication, ct, read: null);

    /// <summary>
    /// A decision on the stream alone (it reads nothing else in the session): read, decide, then the append is committed
    /// with the appends of the other commands deciding at the same time (<see cref="GroupCommit"/>), each at its own
    /// expected version; a lost race decides again on the new state, as in the other overload. With group commit
    /// configured off (<c>EventStore:GroupCommit=false</c>) it runs in a session of its own, as that overload does.
    /// <paramref name="read"/> (either way): the stream as the caller read it a moment ago (<see cref="ReadStored"/>), decided on in the
    /// first attempt instead of reading it again; an event appended since makes that attempt lose its race like any other,
    /// and the next one reads the stream afresh.
    /// </summary>
    public async Task<Decision> Handle(
        string streamKey, Func<IReadOnlyList<IDomainEvent>, Decision> decide, EventMetadata metadata,
        Deduplication? deduplication = null, IReadOnlyList<IEvent>? read = null, CancellationToken ct = default)
    {
        if (!groupCommit)
            return await Run(streamKey, exclusive: false, (events, _, _) => Task.FromResult(decide(events)), metadata, deduplication, ct, read);
        for (var attempt = 1; ; attempt++)
        {
            IReadOnlyList<IEvent> stream;
            if (attempt == 1 && read is not null) stream = read;
            else
                await using (var session = Store.QuerySession()) stream = await Fetch(session, streamKey, ct);
            var (events, version) = Payloads(stream);
            var decision = decide(events);
            if (decision is not Decision.Accepted accepted) return decision;

            List<GroupedStream> streams = [new(streamKey, version, accepted.Events, stream)];
            if (accepted.Alongside is { } alongside) streams.Add(new(alongside.StreamKey, alongside.ExpectedVersion, alongside.Events, null));
            var inbox = deduplication is null ? null : InboxEntry.For(deduplication.Consumer, deduplication.MessageId, clock.GetUtcNow());
            try
            {
                return await group.Commit(new PendingAppend(streams, metadata, inbox)) ? accepted : new Decision.AlreadyDone();
            }
            catch (WrongExpectedVersionException) when (attempt < MaxAttempts)
            {
            }
            catch (WrongExpectedVersionException e)
            {
                return Decision.Reject(DomainErrorCode.ConcurrencyError,
                    $"{e.StreamId} kept changing while this request was decided ({MaxAttempts} attempts); try again.");
            }
        }
    }

    /// <summary>A stream's events as stored (for a decision taken on them later: <see cref="Handle(string, Func{IReadOnlyList{IDomainEvent}, Decision}, EventMetadata, Deduplication?, IReadOnlyList{IEvent}?, CancellationToken)"/>).</summary>
    public async Task<IReadOnlyList<IEvent>> ReadStored(string streamKey, CancellationToken ct = default)
    {
        await using var session = Store.QuerySession();
        return await Fetch(session, streamKey, ct);
    }

    /// <summary>
    /// As <see cref="Handle"/>, with the stream's row locked before it is read: for a command that must not lose to a
    /// queue of writers of a busy stream (a cluster's deletion among its children's attachments), which would otherwise
    /// race them optimistically and could run out of attempts.
    /// </summary>
    public Task<Decision> HandleExclusively(
        string streamKey, Func<IReadOnlyList<IDomainEvent>, IDocumentSession, CancellationToken, Task<Decision>> decide, EventMetadata metadata,
        CancellationToken ct = default) =>
        Run(streamKey, exclusive: true, decide, metadata, null, ct, read: null);

    private async Task<Decision> Run(
        string streamKey, bool exclusive, Func<IReadOnlyList<IDomainEvent>, IDocumentSession, CancellationToken, Task<Decision>> decide,
        EventMetadata metadata, Deduplication? deduplication, CancellationToken ct, IReadOnlyList<IEvent>? read)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var session = Store.LightweightSession();
            // Rich append reserves the events' sequence numbers in a query before its writes: inside this transaction,
            // the daemon's gap detection sees a live reserver until the commit. Reserved outside one (autocommit), a
            // commit slower than the stale-gap threshold had its events skipped by every subscription (found by the
            // chaos test: operations stranded, their events never forwarded to the saga).
            await session.BeginTransactionAsync(ct);
            var (events, version) = exclusive ? await ReadLocked(session, streamKey, ct)
                : Remembered(session, streamKey, attempt == 1 && read is not null ? read : await Fetch(session, streamKey, ct));
            var decision = await decide(events, session, ct);
            if (decision is not Decision.Accepted accepted) return decision;

            Append(session, streamKey, version, accepted.Events);
            if (accepted.Alongside is { } alongside) Append(session, alongside.StreamKey, alongside.ExpectedVersion, alongside.Events);
            metadata.ApplyTo(session);
            if (deduplication is not null) session.Insert(InboxEntry.For(deduplication.Consumer, deduplication.MessageId, clock.GetUtcNow()));
            try
            {
                return await StreamConflicts.Commit(session, streamKey, version, ct) ? accepted : new Decision.AlreadyDone();
            }
            catch (WrongExpectedVersionException) when (attempt < MaxAttempts)
            {
            }
            catch (WrongExpectedVersionException e)
            {
                return Decision.Reject(DomainErrorCode.ConcurrencyError,
                    $"{e.StreamId} kept changing while this request was decided ({MaxAttempts} attempts); try again.");
            }
        }
    }

    /// <summary>
    /// Reads a second stream inside a decision's session, after locking its row until the commit: its other writers queue
    /// behind this decision instead of racing it (the append returned in <see cref="Decision.Accepted.Alongside"/> then
    /// never fails on its version), and the session's inline projections get its events.
    /// </summary>
    public static async Task<(IReadOnlyList<IDomainEvent> Events, long Version)> ReadLocked(
        IDocumentSession session, string streamKey, CancellationToken ct)
    {
        await using (var hold = new NpgsqlCommand(
            $"SELECT 1 FROM {session.DocumentStore.Options.DatabaseSchemaName}.mt_streams WHERE id = $1 FOR UPDATE", session.Connection))
        {
            hold.Parameters.Add(new NpgsqlParameter { Value = streamKey });
            await hold.ExecuteNonQueryAsync(ct);
        }
        return Remembered(session, streamKey, await Fetch(session, streamKey, ct));
    }

    private static (IReadOnlyList<IDomainEvent> Events, long Version) Remembered(IDocumentSession session, string streamKey, IReadOnlyList<IEvent> stream)
    {
        SessionStreams.Remember(session, streamKey, stream);
        return Payloads(stream);
    }

    internal static StreamAction Append(IDocumentSession session, string streamKey, long version, IReadOnlyList<IDomainEvent> events)
    {
        var appended = events.Cast<object>().ToArray();
        return version == StreamVersion.NoStream
            ? session.Events.StartStream(streamKey, appended)
            : session.Events.Append(streamKey, version + appended.Length, appended);
    }

    public ValueTask DisposeAsync() => group.DisposeAsync();

    private static async Task<IReadOnlyList<IEvent>> Fetch(IQuerySession session, string streamKey, CancellationToken ct)
    {
        try
        {
            return await session.Events.FetchStreamAsync(streamKey, token: ct);
        }
        catch (Exception e) when (EventStoreFailureException.Translates(e))
        {
            throw EventStoreFailureException.From(e);
        }
    }

    private static (IReadOnlyList<IDomainEvent> Events, long Version) Payloads(IReadOnlyList<IEvent> events) =>
        (events.Select(e => (IDomainEvent)e.Data).ToList(), events.Count == 0 ? StreamVersion.NoStream : events[^1].Version);
}
