using System.Data;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Npgsql;
using NpgsqlTypes;

namespace EventSourced.Provisioners.Sagas.Persistence;

/// <summary>
/// One PostgreSQL transaction over a saga table: it spans the consume of one message, so a row loaded
/// <c>FOR UPDATE</c> stays locked until the saga's behavior has run and its new state is committed.
/// </summary>
internal sealed class NpgsqlSagaTransaction<TSaga> : IAsyncDisposable
    where TSaga : class, ISagaVersion
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly NpgsqlSagaRepositoryOptions<TSaga> _options;

    private NpgsqlSagaTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction, NpgsqlSagaRepositoryOptions<TSaga> options)
    {
        _connection = connection;
        _transaction = transaction;
        _options = options;
    }

    public static async Task<NpgsqlSagaTransaction<TSaga>> Begin(
        NpgsqlDataSource dataSource, SagaTable tables, NpgsqlSagaRepositoryOptions<TSaga> options, CancellationToken cancellationToken)
    {
        await tables.EnsureCreated(options.Table, cancellationToken);
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            // Read committed is what makes FOR UPDATE wait and then return the row as the previous holder committed it;
            // repeatable read or serializable would fail the waiter with a serialization error instead.
            var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
            return new NpgsqlSagaTransaction<TSaga>(connection, transaction, options);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task<TSaga?> Load(Guid correlationId, bool forUpdate, CancellationToken cancellationToken)
    {
        const string sql = "SELECT data, version FROM {table} WHERE correlation_id = $1";
        await using var command = Command(forUpdate ? sql + " FOR UPDATE" : sql, correlationId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;

        var saga = JsonSerializer.Deserialize<TSaga>(reader.GetString(0))
            ?? throw new InvalidOperationException($"Saga {correlationId} in {_options.Table} has null data");
        saga.CorrelationId = correlationId;
        saga.Version = reader.GetInt32(1);
        return saga;
    }

    /// <summary>Inserts a new saga; a concurrent insert of the same id fails with a unique violation, which the
    /// endpoint's retry turns into a second attempt that loads the row the other message created.</summary>
    public async Task Insert(TSaga saga, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO {table} (correlation_id, current_state, data, version)
            VALUES ($1, $2, $3, $4)
            """;
        saga.Version = 1;
        await using var command = WriteCommand(sql, saga);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The pre-insert path (state machines with InsertOnInitial): false when the row already exists.</summary>
    public async Task<bool> InsertIfAbsent(TSaga saga, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO {table} (correlation_id, current_state, data, version)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (correlation_id) DO NOTHING
            """;
        saga.Version = 1;
        await using var command = WriteCommand(sql, saga);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task Update(TSaga saga, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE {table}
            SET current_state = $2, data = $3, version = $4, updated_at = now()
            WHERE correlation_id = $1 AND version = $5
            """;
        var loadedVersion = saga.Version;
        saga.Version = loadedVersion + 1;
        await using var command = WriteCommand(sql, saga);
        command.Parameters.Add(new() { Value = loadedVersion });
        // The row is locked since the load, so this only trips if someone bypassed the repository.
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            throw new ConcurrencyException(
                $"Saga version {loadedVersion} is no longer current in {_options.Table}", typeof(TSaga), saga.CorrelationId);
    }

    public async Task Delete(TSaga saga, CancellationToken cancellationToken)
    {
        const string sql = "DELETE FROM {table} WHERE correlation_id = $1";
        await using var command = Command(sql, saga.CorrelationId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task Commit(CancellationToken cancellationToken) => _transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }

    private NpgsqlCommand WriteCommand(string sql, TSaga saga)
    {
        var data = JsonSerializer.SerializeToNode(saga) as JsonObject
            ?? throw new InvalidOperationException($"{typeof(TSaga).Name} does not serialize to a JSON object");
        var command = Command(sql, saga.CorrelationId);
        command.Parameters.Add(new() { Value = StateOf(data) ?? (object)DBNull.Value });
        command.Parameters.Add(new() { Value = data.ToJsonString(), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = saga.Version });
        return command;
    }

    private string? StateOf(JsonObject data) => data[_options.StateProperty] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        var other => other.ToJsonString(),
    };

    private NpgsqlCommand Command(string sql, Guid correlationId) =>
        new(SagaTable.WithTable(sql, _options.Table), _connection, _transaction)
        {
            Parameters = { new() { Value = correlationId } },
        };
}
