using EventSourced.Commands.EventStore;
using Npgsql;
using NpgsqlTypes;

namespace EventSourced.Projections.Checkpoints;

/// <summary>
/// One row per subscription: how far into the global log it has applied its effects. Advance is a compare-and-set on
/// the previous value and runs in the caller's transaction, so a checkpoint moves exactly when the effects commit.
/// </summary>
public sealed class CheckpointStore(NpgsqlDataSource dataSource)
{
    private const long SchemaLockKey = 0x636b_7074_7363_6861; // "ckptscha": serialises CREATE TABLE IF NOT EXISTS across nodes

    private const string SchemaSql = """
        CREATE TABLE IF NOT EXISTS subscription_checkpoints (
            name           text        PRIMARY KEY,
            transaction_id xid8        NOT NULL,
            position       bigint      NOT NULL,
            updated_at     timestamptz NOT NULL DEFAULT now()
        )
        """;

    private const string LoadSql = "SELECT transaction_id, position FROM subscription_checkpoints WHERE name = $1";

    private const string LoadAllSql = "SELECT name, transaction_id, position, updated_at FROM subscription_checkpoints";

    private const string AdvanceSql = """
        UPDATE subscription_checkpoints SET transaction_id = $4, position = $5, updated_at = now()
        WHERE name = $1 AND transaction_id = $2 AND position = $3
        """;

    // From the start the row may not exist yet; when it does, the WHERE keeps this a compare-and-set.
    private const string AdvanceFromStartSql = """
        INSERT INTO subscription_checkpoints AS c (name, transaction_id, position) VALUES ($1, $4, $5)
        ON CONFLICT (name) DO UPDATE SET transaction_id = excluded.transaction_id, position = excluded.position, updated_at = now()
        WHERE c.transaction_id = $2 AND c.position = $3
        """;

    private const string ResetSql = """
        INSERT INTO subscription_checkpoints (name, transaction_id, position) VALUES ($1, '0', 0)
        ON CONFLICT (name) DO UPDATE SET transaction_id = '0', position = 0, updated_at = now()
        """;

    public async Task EnsureSchema(CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = SchemaLockKey });
            await lockCommand.ExecuteNonQueryAsync(ct);
        }
        await using (var create = new NpgsqlCommand(SchemaSql, connection, transaction)) await create.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
    }

    public async Task<GlobalCursor> Load(string name, CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await Load(connection, null, name, ct);
    }

    public async Task<GlobalCursor> Load(NpgsqlConnection connection, NpgsqlTransaction? transaction, string name, CancellationToken ct = default)
    {
        await using var command = new NpgsqlCommand(LoadSql, connection, transaction) { Parameters = { Text(name) } };
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new GlobalCursor(reader.GetFieldValue<ulong>(0), reader.GetInt64(1)) : GlobalCursor.Start;
    }

    public async Task<IReadOnlyDictionary<string, StoredCheckpoint>> LoadAll(CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(LoadAllSql, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var checkpoints = new Dictionary<string, StoredCheckpoint>();
        while (await reader.ReadAsync(ct))
        {
            var name = reader.GetString(0);
            var cursor = new GlobalCursor(reader.GetFieldValue<ulong>(1), reader.GetInt64(2));
            checkpoints[name] = new StoredCheckpoint(name, cursor, reader.GetFieldValue<DateTimeOffset>(3));
        }
        return checkpoints;
    }

    /// <exception cref="CheckpointConflictException">The checkpoint is no longer at <paramref name="from"/>.</exception>
    public async Task Advance(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, GlobalCursor from, GlobalCursor to, CancellationToken ct = default)
    {
        var sql = from == GlobalCursor.Start ? AdvanceFromStartSql : AdvanceSql;
        await using var command = new NpgsqlCommand(sql, connection, transaction)
        {
            Parameters = { Text(name), Xid8(from.TransactionId), Int64(from.Position), Xid8(to.TransactionId), Int64(to.Position) },
        };
        if (await command.ExecuteNonQueryAsync(ct) == 0) throw new CheckpointConflictException(name, from);
    }

    public async Task Reset(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, CancellationToken ct = default)
    {
        await using var command = new NpgsqlCommand(ResetSql, connection, transaction) { Parameters = { Text(name) } };
        await command.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlParameter Text(string value) => new NpgsqlParameter<string> { TypedValue = value };
    private static NpgsqlParameter Int64(long value) => new NpgsqlParameter<long> { TypedValue = value };
    private static NpgsqlParameter Xid8(ulong value) => new NpgsqlParameter<ulong> { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Xid8 };
}
