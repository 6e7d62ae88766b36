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

    public static async Task<bool> TryRecord(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string consumer, Guid messageId,
        CancellationToken ct = default)
    {
        await using var command = new NpgsqlCommand(Record, connection, transaction);
        command.Parameters.Add(new() { Value = consumer });
        command.Parameters.Add(new() { Value = messageId });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }
}
