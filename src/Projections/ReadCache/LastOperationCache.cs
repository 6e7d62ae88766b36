using System.Runtime.CompilerServices;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Projections.ReadCache;

/// <summary>An instance's latest operation as last_operation reports it (null: the instance has none).</summary>
public sealed record CachedOperation(Operation? Latest);

/// <summary>
/// This node's cache of last_operations rows (each instance's latest operation at its stream version), and what makes
/// an answer from it as fresh as one from the database: the <see cref="ChangeListener"/> marks a row stale when any node
/// commits a newer version, and a row answers only after a <b>barrier</b> that started after the poll arrived: a
/// notification the listener sends itself, which PostgreSQL delivers after every notification of a transaction that
/// committed before it. A poll after a 202 from any node (its commit acknowledged before the poll was sent) therefore
/// sees that commit's notification before the cache is read. While the listener is not connected, nothing is answered
/// from the cache; on every (re)connection it is emptied.
/// </summary>
public sealed class LastOperationCache(ReadCacheOptions options)
{
    private readonly VersionedCache<CachedOperation> rows = new(options.Capacity);
    private readonly ConditionalWeakTable<object, Committing> committing = new();
    private readonly Lock gate = new();
    private TaskCompletionSource<bool> next = NewBarrier();
    private bool demanded;
    private bool connected;

    public bool Enabled => options.Enabled;

    /// <summary>Whether the change listener is connected (the cache answers only then).</summary>
    public bool Listening { get { lock (gate) return connected; } }

    /// <summary>Released when a poll waits for a barrier; the listener then sends one.</summary>
    internal SemaphoreSlim BarrierWanted { get; } = new(0);

    /// <summary>
    /// The cached latest operation of <paramref name="instanceId"/>, once every change committed before this call has
    /// reached the cache; null when the database must answer (disconnected listener, nothing cached, a stale row).
    /// </summary>
    public async ValueTask<CachedOperation?> Find(Guid instanceId)
    {
        // Nothing cached yet: the database answers at once, without waiting for a barrier.
        if (!Enabled || !rows.TryGet(instanceId, out _, out _) || !await CaughtUp()) return null;
        return rows.TryGet(instanceId, out var row, out _) ? row : null;
    }

    /// <summary>Taken before a database read whose row is then <see cref="Put"/>.</summary>
    public long Ticket => rows.Ticket;

    /// <summary>A row read from the database (or committed by this node) at <paramref name="version"/>.</summary>
    public void Put(Guid instanceId, long version, CachedOperation row, long ticket)
    {
        if (Enabled) rows.Put(instanceId, version, row, ticket);
    }

    /// <summary>The rows an inline write of <paramref name="session"/> wrote; put once it commits (<see cref="Committed"/>).</summary>
    public void Writing(object session, IEnumerable<(Guid Id, long Version, CachedOperation Row)> written)
    {
        if (!Enabled) return;
        var pending = committing.GetValue(session, _ => new Committing(rows.Ticket));
        lock (pending) pending.Rows.AddRange(written);
    }

    /// <summary>The session committed: its rows are the latest at their versions (unless a newer one got here first).</summary>
    public void Committed(object session)
    {
        if (!committing.TryGetValue(session, out var pending)) return;
        committing.Remove(session);
        lock (pending)
            foreach (var (id, version, row) in pending.Rows) rows.Put(id, version, row, pending.Ticket);
    }

    internal void Changed(Guid instanceId, long version) => rows.Changed(instanceId, version);

    internal int Count => rows.Count;

    private Task<bool> CaughtUp()
    {
        lock (gate)
        {
            if (!connected) return Task.FromResult(false);
            if (!demanded)
            {
                demanded = true;
                BarrierWanted.Release();
            }
            return next.Task;
        }
    }

    /// <summary>The listener listens again: what was cached may have missed changes, so it goes.</summary>
    internal void Connected()
    {
        rows.Clear();
        lock (gate) connected = true;
    }

    internal void Disconnected()
    {
        lock (gate)
        {
            connected = false;
            demanded = false;
            next.TrySetResult(false);
            next = NewBarrier();
        }
        rows.Clear();
    }

    /// <summary>The polls waiting so far, served by the barrier the listener is about to send.</summary>
    internal TaskCompletionSource<bool> TakeWaiting()
    {
        lock (gate)
        {
            var waiting = next;
            next = NewBarrier();
            demanded = false;
            return waiting;
        }
    }

    private static TaskCompletionSource<bool> NewBarrier() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record Committing(long Ticket)
    {
        public List<(Guid Id, long Version, CachedOperation Row)> Rows { get; } = [];
    }
}
