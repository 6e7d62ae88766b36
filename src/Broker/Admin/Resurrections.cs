using EventSourced.Commands.ServiceInstances;
using Marten;
using Marten.Events;

namespace EventSourced.Broker.Admin;

/// <summary>A dedicated server the resurrector started again, as recorded on its instance's stream.</summary>
public sealed record ResurrectionEntry(Guid InstanceId, int Port, DateTimeOffset ResurrectedAt, string Reason, long Version, DateTimeOffset RecordedAt);

/// <summary>The latest <see cref="ServerResurrected"/> events of every instance, newest first: read from the log on any node.</summary>
public static class Resurrections
{
    public const int Limit = 100;

    public static async Task<IReadOnlyList<ResurrectionEntry>> Latest(IDocumentStore store, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.EventTypesAre(typeof(ServerResurrected)))
            .OrderByDescending(e => e.Sequence)
            .Take(Limit)
            .ToListAsync(ct);
        return events.Select(e => (Event: e, Data: (ServerResurrected)e.Data))
            .Select(x => new ResurrectionEntry(x.Data.InstanceId, x.Data.Port, x.Data.ResurrectedAt, x.Data.Reason, x.Event.Version, x.Event.Timestamp))
            .ToList();
    }
}
