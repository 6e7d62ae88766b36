namespace EventSourced.Commands.EventStore;

/// <summary>An event as stored: its payload plus where and when it landed in the log.</summary>
public sealed record RecordedEvent(
    Guid EventId,
    long Position,
    ulong TransactionId,
    string StreamId,
    long Version,
    string EventType,
    IDomainEvent Data,
    EventMetadata Metadata,
    DateTimeOffset CreatedAt)
{
    public GlobalCursor Cursor => new(TransactionId, Position);
}
