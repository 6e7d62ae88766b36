using System.Runtime.CompilerServices;
using JasperFx.Events;
using Marten;

namespace EventSourced.Commands.EventStore;

/// <summary>
/// The streams a session read before it appended, kept for that session's inline projections: they need each stream's
/// committed events, which the command has just read, and the append's expected version guarantees no other event
/// came in between (otherwise the commit fails and the projections' writes roll back with it).
/// </summary>
public static class SessionStreams
{
    private static readonly ConditionalWeakTable<IQuerySession, Dictionary<string, IReadOnlyList<IEvent>>> Read = new();

    public static void Remember(IQuerySession session, string streamKey, IReadOnlyList<IEvent> events) =>
        Read.GetOrCreateValue(session)[streamKey] = events;

    public static bool TryRecall(IQuerySession session, string streamKey, out IReadOnlyList<IEvent> events)
    {
        events = [];
        return Read.TryGetValue(session, out var streams) && streams.TryGetValue(streamKey, out events!);
    }
}
