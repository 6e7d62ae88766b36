using System.Text.Json;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Subscriptions;
using Npgsql;
using NpgsqlTypes;

namespace EventSourced.Projections.ServiceInstances;

/// <summary>
/// Answers OSB last_operation polling. Written inline with every append to a service instance's stream (so a poll
/// right after a 202 sees the operation) and also a projection of the log, so it can be rebuilt. Each row holds the
/// folded instance as of a stream version; a write only lands when it is newer than the row, so the inline writer
/// and a replay can run at the same time in any order. The folded instance is stored as json, not jsonb: it is only ever
/// read back whole, and parsing it into jsonb took up to 45% of the upsert's time in PostgreSQL (json and jsonb convert to
/// each other on assignment, so a node still writing jsonb works against the migrated column and the other way round).
/// </summary>
public sealed class LastOperations(NpgsqlDataSource dataSource) : IServiceInstanceView, IProjection
{
    public const string ProjectionName = "last-operations";
    private const string StreamPrefix = "service-instance-";

    public string Name => ProjectionName;

    public IReadOnlyList<string> Tables => ["last_operations"];

    public string Schema => """
        CREATE TABLE IF NOT EXISTS last_operations (
            instance_id uuid PRIMARY KEY,
            version bigint NOT NULL,
            status text NOT NULL,
            operation_id uuid,
            operation_kind text,
            operation_state text,
            description text,
            started_at timestamptz,
            finished_at timestamptz,
            awaiting_outcome boolean NOT NULL,
            instance json NOT NULL);
        ALTER TABLE last_operations ADD COLUMN IF NOT EXISTS deadline_at timestamptz;
        DO $$
        BEGIN
            IF (SELECT atttypid = 'jsonb'::regtype FROM pg_attribute WHERE attrelid = 'last_operations'::regclass AND attname = 'instance') THEN
                ALTER TABLE last_operations ALTER COLUMN instance TYPE json;
            END IF;
        END $$;
        CREATE INDEX IF NOT EXISTS last_operations_awaiting ON last_operations (started_at) WHERE awaiting_outcome;
        """;

    public NpgsqlBatchCommand Write(ServiceInstance state, long version) => Upsert([(state, version)]);

    public async Task Handle(IReadOnlyList<RecordedEvent> batch, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        var streams = batch.Where(e => e.StreamId.StartsWith(StreamPrefix, StringComparison.Ordinal)).GroupBy(e => e.StreamId).ToList();
        if (streams.Count == 0) return;
        var ids = streams.Select(s => Guid.Parse(s.Key[StreamPrefix.Length..])).ToArray();
        var known = await LoadSnapshots(connection, transaction, ids, ct);
        var folded = streams.Select(stream =>
        {
            var id = Guid.Parse(stream.Key[StreamPrefix.Length..]);
            var (state, version) = known.TryGetValue(id, out var row) ? row : (ServiceInstance.Initial, 0L);
            foreach (var e in stream.Where(e => e.Version > version)) (state, version) = (ServiceInstance.Evolve(state, e.Data), e.Version);
            return (state, version);
        }).Where(s => s.version > 0).ToList();
        if (folded.Count == 0) return;
        await using var upsert = new NpgsqlBatch(connection, transaction) { BatchCommands = { Upsert(folded) } };
        await upsert.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The instance as of its latest recorded event, with every operation it went through.</summary>
    public async Task<ServiceInstance?> Find(Guid instanceId, CancellationToken ct = default)
    {
        const string sql = "SELECT instance FROM last_operations WHERE instance_id = $1";
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = instanceId });
        var json = (string?)await command.ExecuteScalarAsync(ct);
        return json is null ? null : Deserialize(json);
    }

    /// <summary>
    /// One operation of the instance as last_operation reports it (its latest when <paramref name="operationId"/> is
    /// null), read from the row's columns; only an older operation needs the folded instance. Exists is false for an
    /// unknown instance; Operation is null when the instance has no such operation.
    /// </summary>
    public async Task<(bool Exists, Operation? Operation)> FindOperation(Guid instanceId, Guid? operationId, CancellationToken ct = default)
    {
        const string sql = """
            SELECT operation_id, operation_kind, operation_state, description, started_at,
                   CASE WHEN $2::uuid IS NOT NULL AND operation_id IS DISTINCT FROM $2::uuid THEN instance END
            FROM last_operations WHERE instance_id = $1
            """;
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = instanceId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)operationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return (false, null);
        if (!reader.IsDBNull(5)) return (true, Deserialize(reader.GetString(5)).Operations.LastOrDefault(o => o.Id == operationId));
        if (reader.IsDBNull(0)) return (true, null);
        return (true, new Operation(reader.GetGuid(0), Enum.Parse<OperationKind>(reader.GetString(1)),
            OperationStates.Parse(reader.GetString(2)), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4)));
    }

    /// <summary>
    /// Operations past their deadline (the plan's maximum polling duration, else the default timeout) and still running
    /// their course: not timed out yet, not rolling back.
    /// </summary>
    public async Task<IReadOnlyList<(Guid InstanceId, Guid OperationId)>> FindOverdue(DateTimeOffset now, TimeSpan defaultTimeout, CancellationToken ct = default)
    {
        const string sql = """
            SELECT instance_id, operation_id FROM last_operations
            WHERE awaiting_outcome AND coalesce(deadline_at, started_at + $2) < $1 ORDER BY started_at LIMIT 100
            """;
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = defaultTimeout });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var overdue = new List<(Guid, Guid)>();
        while (await reader.ReadAsync(ct)) overdue.Add((reader.GetGuid(0), reader.GetGuid(1)));
        return overdue;
    }

    private static async Task<Dictionary<Guid, (ServiceInstance, long)>> LoadSnapshots(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid[] ids, CancellationToken ct)
    {
        const string sql = "SELECT instance_id, version, instance FROM last_operations WHERE instance_id = ANY($1) FOR UPDATE";
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new Dictionary<Guid, (ServiceInstance, long)>();
        while (await reader.ReadAsync(ct)) rows[reader.GetGuid(0)] = (Deserialize(reader.GetString(2)), reader.GetInt64(1));
        return rows;
    }

    private static NpgsqlBatchCommand Upsert(IReadOnlyList<(ServiceInstance State, long Version)> rows)
    {
        const string sql = """
            INSERT INTO last_operations AS l (instance_id, version, status, operation_id, operation_kind, operation_state,
                                              description, started_at, finished_at, awaiting_outcome, instance, deadline_at)
            SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[],
                                 $8::timestamptz[], $9::timestamptz[], $10::boolean[], $11::json[], $12::timestamptz[])
            ON CONFLICT (instance_id) DO UPDATE SET
                version = excluded.version, status = excluded.status, operation_id = excluded.operation_id,
                operation_kind = excluded.operation_kind, operation_state = excluded.operation_state,
                description = excluded.description, started_at = excluded.started_at, finished_at = excluded.finished_at,
                awaiting_outcome = excluded.awaiting_outcome, instance = excluded.instance, deadline_at = excluded.deadline_at
            WHERE l.version < excluded.version
            """;
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.State.Id).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Version).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.State.Status.ToString()).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.State.LastOperation?.Id).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.State.LastOperation?.Kind.ToString()).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.State.LastOperation is { } op ? OperationStates.Osb(op.State) : null).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.State.LastOperation?.Description).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.State.LastOperation?.StartedAt).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.State.LastOperation?.FinishedAt).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => AwaitingOutcome(r.State)).ToArray() });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = rows.Select(r => JsonSerializer.Serialize(r.State, EventStore.Json)).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json,
        });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.State.LastOperation?.DeadlineAt).ToArray() });
        return command;
    }

    private static bool AwaitingOutcome(ServiceInstance state) =>
        state.LastOperation is { InProgress: true, TimedOut: false } && !state.RollingBack;

    private static ServiceInstance Deserialize(string json) =>
        JsonSerializer.Deserialize<ServiceInstance>(json, EventStore.Json) ?? ServiceInstance.Initial;
}
