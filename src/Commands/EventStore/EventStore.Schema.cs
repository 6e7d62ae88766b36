using Npgsql;

namespace EventSourced.Commands.EventStore;

public sealed partial class EventStore
{
    // Concurrent CREATE ... IF NOT EXISTS can still fail on the catalog's unique indexes when two sessions create the
    // same table at once; every caller first takes this transaction-scoped advisory lock, so creators run one at a
    // time and a later one finds the tables committed.
    private const long SchemaLockKey = 0x4576_656E_7453_746F; // "EventSto"

    private const string CreateSchema = """
        SELECT pg_advisory_xact_lock(@lock);
        CREATE TABLE IF NOT EXISTS streams (
            stream_id  text        PRIMARY KEY,
            version    bigint      NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE IF NOT EXISTS events (
            position       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
            event_id       uuid        NOT NULL UNIQUE,
            stream_id      text        NOT NULL,
            version        bigint      NOT NULL,
            event_type     text        NOT NULL,
            data           jsonb       NOT NULL,
            metadata       jsonb       NOT NULL,
            created_at     timestamptz NOT NULL DEFAULT now(),
            UNIQUE (stream_id, version)
        );
        CREATE INDEX IF NOT EXISTS events_transaction_id_position_idx ON events (transaction_id, position);
        CREATE TABLE IF NOT EXISTS inbox (
            consumer     text        NOT NULL,
            message_id   uuid        NOT NULL,
            processed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (consumer, message_id)
        );
        """;

    public async Task EnsureSchema(CancellationToken ct = default)
    {
        await using var connection = await DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var command = new NpgsqlCommand(CreateSchema, connection, transaction);
        command.Parameters.AddWithValue("lock", SchemaLockKey);
        await command.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
    }
}
