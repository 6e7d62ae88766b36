namespace EventSourced.Commands.EventStore;

/// <summary>
/// At-least-once delivery made effectively once: a consumer inserts one of these, keyed by (consumer, message id), in
/// the same Marten session as the events the message caused. A redelivery's insert collides with the first one's row
/// (an insert racing an uncommitted one waits for it), so the whole session is rolled back and nothing is appended twice.
/// </summary>
public sealed record InboxEntry(string Id, DateTimeOffset ProcessedAt)
{
    public static InboxEntry For(string consumer, Guid messageId, DateTimeOffset now) => new($"{consumer}/{messageId}", now);
}

/// <summary>Marks a message as handled by a consumer in the same transaction as the events it caused.</summary>
public sealed record Deduplication(string Consumer, Guid MessageId);
