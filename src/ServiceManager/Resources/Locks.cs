using Marten;

namespace EventSourced.ServiceManager.Resources;

/// <summary>
/// Transaction-scoped advisory locks between decisions on different streams that must not interleave: an instance
/// provisioned at a broker (shared) against the broker's deletion (exclusive), a reference to an instance against its
/// unsharing. Taken before the decision reads anything, so what it reads after is what the other side committed.
/// </summary>
public static class Locks
{
    public static Task Shared(IDocumentSession session, string resource, CancellationToken ct) => Take(session, "pg_advisory_xact_lock_shared", resource, ct);

    public static Task Exclusive(IDocumentSession session, string resource, CancellationToken ct) => Take(session, "pg_advisory_xact_lock", resource, ct);

    private static async Task Take(IDocumentSession session, string function, string resource, CancellationToken ct) =>
        await session.QueryAsync<bool>($"select true from (select {function}(hashtextextended(?, 7))) locked", ct, "sm:" + resource);
}
