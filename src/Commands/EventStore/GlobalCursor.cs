namespace EventSourced.Commands.EventStore;

/// <summary>
/// A position in the global log, ordered by (transaction id, position). Readers only see events of transactions older
/// than every transaction still running, so nothing can ever appear behind a cursor once it has been passed.
/// </summary>
public readonly record struct GlobalCursor(ulong TransactionId, long Position) : IComparable<GlobalCursor>
{
    public static GlobalCursor Start => new(0, 0);

    public int CompareTo(GlobalCursor other) =>
        TransactionId != other.TransactionId ? TransactionId.CompareTo(other.TransactionId) : Position.CompareTo(other.Position);
}
