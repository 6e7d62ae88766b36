using Marten;
using Marten.Services;

namespace EventSourced.Projections.ReadCache;

/// <summary>Puts the rows a session's inline write of last_operations wrote into this node's cache once the session commits.</summary>
internal sealed class CommittedRows(LastOperationCache cache) : DocumentSessionListenerBase
{
    public override Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token)
    {
        cache.Committed(session);
        return Task.CompletedTask;
    }
}
