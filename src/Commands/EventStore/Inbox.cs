using Npgsql;

namespace EventSourced.Commands.EventStore;

/// <summary>At-least-once delivery made effectively once: a consumer records each message id in its own transaction.</summary>
public static class Inbox
{
    // ON CONFLICT DO NOTHING waits for a concurrent, uncommitted record of the same id: if that transaction commits,
    // this one sees the conflict and reports a redelivery; if it rolls back, this one records the message instead.
    private const string Record = """
        INSERT INTO inbox (consumer, message_id) VALUES ($1, $2)
        ON CONFLICT (consumer, message_id) DO NOTHING
        """;

    /// <summary>The record as a batch command: it affected one row when the message is new, none for a redelivery.</summary>
    public static NpgsqlBatchCommand RecordCommand(string consumer, Guid messageId) =>
        new(Record) { Parameters = { new() { Value = consumer }, new() { Value = messageId } } };

    public static async Task<bool> TryRecord(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string consumer, Guid messageId,
        CancellationToken ct = default)
    {
        await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { RecordCommand(consumer, messageId) } };
        return await batch.ExecuteNonQueryAsync(ct) == 1;
    }
}
