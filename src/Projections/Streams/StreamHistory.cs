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
        var keys = streamKeys.ToArray();
        var committed = await session.Events.QueryAllRawEvents()
            .Where(e => keys.Contains(e.StreamKey))
            .OrderBy(e => e.Sequence)
            .ToListAsync(ct);
        return committed.Concat(pending.Where(e => keys.Contains(e.StreamKey)))
            .GroupBy(e => e.StreamKey!)
            .ToDictionary(
                stream => stream.Key,
                stream => (IReadOnlyList<IEvent>)stream.DistinctBy(e => e.Version).OrderBy(e => e.Version).ToList());
    }

    public static IEnumerable<IDomainEvent> Payloads(this IEnumerable<IEvent> events) => events.Select(e => (IDomainEvent)e.Data);
}
