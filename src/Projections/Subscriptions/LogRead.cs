using EventSourced.Commands.EventStore;

namespace EventSourced.Projections.Subscriptions;

/// <summary>Reads at most <paramref name="maxCount"/> visible events after a cursor: <see cref="EventStore.ReadAll"/> or a shared read of it.</summary>
public delegate Task<IReadOnlyList<RecordedEvent>> LogRead(GlobalCursor after, int maxCount, CancellationToken ct);
