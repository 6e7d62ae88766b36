using EventSourced.Commands.EventStore;
using JasperFx.Events;
using Marten;

namespace EventSourced.Projections.Streams;

/// <summary>Whole streams read back from the log, for views that fold a stream from its first event.</summary>
public static class StreamHistory
{
    /// <summary>
    /// The committed events of <paramref name="streamKeys"/> merged with <paramref name="pending"/> (the events of an
    /// inline projection's own, not yet committed, append; or the daemon's batch), each stream in version order.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, IReadOnlyList<IEvent>>> Load(
        IQuerySession session, IReadOnlyCollection<string> streamKeys, IEnumerable<IEvent> pending, CancellationToken ct)
    {
        var keys = streamKeys.ToHashSet();
        return (await Committed(session, keys, ct)).Concat(pending.Where(e => keys.Contains(e.StreamKey!)))
            .GroupBy(e => e.StreamKey!)
            .ToDictionary(
                stream => stream.Key,
                stream => (IReadOnlyList<IEvent>)stream.DistinctBy(e => e.Version).OrderBy(e => e.Version).ToList());
    }

    // A few streams (an inline append's, a daemon page at a quiet time) through Marten's stream fetch, whose SQL is built
    // once; many (a rebuild's page, a busy daemon page) in one LINQ query, whose translation is paid once per call.
    private const int FetchedOneByOne = 4;

    private static async Task<IReadOnlyList<IEvent>> Committed(IQuerySession session, HashSet<string> keys, CancellationToken ct)
    {
        if (keys.Count > FetchedOneByOne)
        {
            var many = keys.ToArray();
            return await session.Events.QueryAllRawEvents().Where(e => many.Contains(e.StreamKey)).OrderBy(e => e.Sequence).ToListAsync(ct);
        }
        var events = new List<IEvent>();
        foreach (var key in keys)
            events.AddRange(SessionStreams.TryRecall(session, key, out var read) ? read : await session.Events.FetchStreamAsync(key, token: ct));
        return events;
    }

    public static IEnumerable<IDomainEvent> Payloads(this IEnumerable<IEvent> events) => events.Select(e => (IDomainEvent)e.Data);
}
