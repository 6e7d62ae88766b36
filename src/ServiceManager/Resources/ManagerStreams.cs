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
/// and write the read-model rows of the new state in the same transaction as the append.
/// </summary>
public sealed class ManagerStreams(StreamStore store)
{
    public IDocumentStore Store => store.Store;

    public Task<Decision> Handle<TKind, TState>(
        string streamKey, Func<TState, IDocumentSession, CancellationToken, Task<Decision>> decide, CancellationToken ct)
        where TKind : IStreamKind<TState> =>
        store.Handle(streamKey, async (events, session, token) =>
        {
            var decision = await decide(TKind.Fold(events), session, token);
            if (decision is Decision.Accepted accepted) TKind.Project(TKind.Fold(events.Concat(accepted.Events)), session);
            return decision;
        }, new EventMetadata(Guid.NewGuid()), ct: ct);

    public async Task<TState> Read<TKind, TState>(string streamKey, CancellationToken ct) where TKind : IStreamKind<TState> =>
        TKind.Fold((await store.Read(streamKey, ct)).Events);

    public static Decision Accept(params IDomainEvent[] events) => new Decision.Accepted(Guid.NewGuid(), events);
}
