using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using Marten;

namespace EventSourced.ServiceManager.Resources;

/// <summary>How one kind of stream folds its events into a state and which read-model rows that state shows.</summary>
public interface IStreamKind<TState>
{
    static abstract TState Fold(IEnumerable<IDomainEvent> events);

    /// <summary>Writes (or deletes) the resource's rows for the state after an append, in the append's session.</summary>
    static abstract void Project(TState state, IDocumentSession session);
}

/// <summary>
/// The Commands' <see cref="StreamStore"/> for the manager's streams: fold, decide on the state (retried on a lost race),
/// and write the read-model rows of the new state in the same transaction as the append. Writers of one stream in this
/// process take turns: eight label changes to one platform at once all went through the store's optimistic retries
/// and some still lost five races in a row (422); across processes the optimistic retries remain the guard.
/// </summary>
public sealed class ManagerStreams(StreamStore store)
{
    private readonly Dictionary<string, (SemaphoreSlim Gate, int Users)> _turns = new();

    public IDocumentStore Store => store.Store;

    public async Task<Decision> Handle<TKind, TState>(
        string streamKey, Func<TState, IDocumentSession, CancellationToken, Task<Decision>> decide, CancellationToken ct)
        where TKind : IStreamKind<TState>
    {
        var gate = Enter(streamKey);
        try
        {
            await gate.WaitAsync(ct);
            try
            {
                return await store.Handle(streamKey, async (events, session, token) =>
                {
                    var decision = await decide(TKind.Fold(events), session, token);
                    if (decision is Decision.Accepted accepted) TKind.Project(TKind.Fold(events.Concat(accepted.Events)), session);
                    return decision;
                }, new EventMetadata(Guid.NewGuid()), ct: ct);
            }
            finally
            {
                gate.Release();
            }
        }
        finally
        {
            Leave(streamKey);
        }
    }

    private SemaphoreSlim Enter(string streamKey)
    {
        lock (_turns)
        {
            var turn = _turns.TryGetValue(streamKey, out var existing) ? existing : (new SemaphoreSlim(1, 1), 0);
            _turns[streamKey] = (turn.Item1, turn.Item2 + 1);
            return turn.Item1;
        }
    }

    private void Leave(string streamKey)
    {
        lock (_turns)
        {
            var (gate, users) = _turns[streamKey];
            if (users == 1)
            {
                _turns.Remove(streamKey);
                gate.Dispose();
            }
            else _turns[streamKey] = (gate, users - 1);
        }
    }

    public async Task<TState> Read<TKind, TState>(string streamKey, CancellationToken ct) where TKind : IStreamKind<TState> =>
        TKind.Fold((await store.Read(streamKey, ct)).Events);

    public static Decision Accept(params IDomainEvent[] events) => new Decision.Accepted(Guid.NewGuid(), events);
}
