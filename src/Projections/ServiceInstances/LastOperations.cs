using System.Text.Json;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.ReadCache;
using EventSourced.Projections.Streams;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Weasel.Postgresql.Tables;

namespace EventSourced.Projections.ServiceInstances;

/// <summary>
/// Answers OSB last_operation polling and instance fetches: the folded instance per stream, with its latest operation in
/// columns. An <b>inline</b> projection: written in the transaction of every append to an instance's stream, so a poll
/// right after a 202 sees the operation, on any node. The folded instance is stored as json, not jsonb: it is only read
/// back whole, and parsing it into jsonb took up to 45% of the upsert's time in PostgreSQL. Every write also notifies the
/// nodes' read caches (<see cref="ChangeNotices"/>), which answer polls without the database (<see cref="FindOperation"/>).
/// </summary>
public sealed partial class LastOperations(NpgsqlDataSource dataSource, IOptions<EventStoreOptions> options, LastOperationCache? cache = null)
    : StreamView(ProjectionName, ProjectionLifecycle.Inline, ServiceInstance.StreamPrefix, options.Value.Schema, "last_operations")
{
    public const string ProjectionName = "last-operations";

    protected override void DefineColumns(Table t)
    {
        t.AddColumn<Guid>("instance_id").AsPrimaryKey();
        t.AddColumn<long>("version").NotNull();
        t.AddColumn<string>("status").NotNull();
        t.AddColumn<Guid>("operation_id");
        t.AddColumn<string>("operation_kind");
        t.AddColumn<string>("operation_state");
        t.AddColumn<string>("description");
        t.AddColumn("started_at", "timestamptz");
        t.AddColumn("finished_at", "timestamptz");
        t.AddColumn("deadline_at", "timestamptz");
        t.AddColumn<bool>("awaiting_outcome").NotNull();
        t.AddColumn("progressed_at", "timestamptz");
        t.AddColumn("instance", "json").NotNull();
        t.Indexes.Add(new IndexDefinition("last_operations_in_progress")
            { Columns = ["started_at"], Predicate = $"operation_state = '{OperationStates.InProgress}'" });
    }

    public override void Write(IDocumentOperations operations, IReadOnlyDictionary<string, IReadOnlyList<IEvent>> streams, bool replace = false)
    {
        var rows = FoldedInstances.Of(streams);
        if (rows.Count == 0) return;
        operations.QueueSqlCommand($"""
            INSERT INTO {QualifiedTable} AS l (instance_id, version, status, operation_id, operation_kind, operation_state,
                                      description, started_at, finished_at, awaiting_outcome, instance, deadline_at, progressed_at)
            SELECT * FROM unnest(?::uuid[], ?::bigint[], ?::text[], ?::uuid[], ?::text[], ?::text[], ?::text[],
                                 ?::timestamptz[], ?::timestamptz[], ?::boolean[], ?::text[]::json[], ?::timestamptz[], ?::timestamptz[])
            ON CONFLICT (instance_id) DO UPDATE SET
                version = excluded.version, status = excluded.status, operation_id = excluded.operation_id,
                operation_kind = excluded.operation_kind, operation_state = excluded.operation_state,
                description = excluded.description, started_at = excluded.started_at, finished_at = excluded.finished_at,
                awaiting_outcome = excluded.awaiting_outcome, instance = excluded.instance, deadline_at = excluded.deadline_at,
                progressed_at = excluded.progressed_at
            {Guard("l", replace)}
            """,
            rows.Select(r => r.State.Id).ToArray(),
            rows.Select(r => r.Version).ToArray(),
            rows.Select(r => r.State.Status.ToString()).ToArray(),
            rows.Select(r => r.State.LastOperation?.Id).ToArray(),
            rows.Select(r => r.State.LastOperation?.Kind.ToString()).ToArray(),
            rows.Select(r => r.State.LastOperation is { } op ? OperationStates.Osb(op.State) : null).ToArray(),
            rows.Select(r => r.State.LastOperation?.Description).ToArray(),
            rows.Select(r => r.State.LastOperation?.StartedAt).ToArray(),
            rows.Select(r => r.State.LastOperation?.FinishedAt).ToArray(),
            rows.Select(r => AwaitingOutcome(r.State)).ToArray(),
            rows.Select(r => JsonSerializer.Serialize(r.State, EventJson.Options)).ToArray(),
            rows.Select(r => r.State.LastOperation?.DeadlineAt).ToArray(),
            rows.Select(r => r.State.UpdatedAt).ToArray());
        // The other nodes' caches rely on it: ReadCache:Enabled is the same on every node (off, no node notifies, as a
        // NOTIFY serializes the commits of every transaction that sends one).
        if (cache is { Enabled: true })
            operations.QueueSqlCommand(ChangeNotices.NotifySql, ChangeNotices.Channel(options.Value.Schema),
                rows.Select(r => ChangeNotices.Payload(r.State.Id, r.Version)).ToArray());
        cache?.Writing(operations, rows.Select(r => (r.State.Id, r.Version, new CachedOperation(r.State.LastOperation))));
    }

    /// <summary>The instance as of its latest recorded event, with every operation it went through.</summary>
    public async Task<ServiceInstance?> Find(Guid instanceId, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT instance FROM {QualifiedTable} WHERE instance_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = instanceId });
        var json = (string?)await command.ExecuteScalarAsync(ct);
        return json is null ? null : Deserialize(json);
    }

    /// <summary>How many instances live on each host (those that hold resources: not gone, not rolled back).</summary>
    public async Task<IReadOnlyDictionary<string, int>> InstancesPerHost(CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT instance->>'host', count(*)::int FROM {QualifiedTable}
            WHERE status NOT IN ('{InstanceStatus.Deprovisioned}', '{InstanceStatus.ProvisioningFailed}') AND instance->>'host' IS NOT NULL
            GROUP BY 1
            """);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var counts = new Dictionary<string, int>();
        while (await reader.ReadAsync(ct)) counts[reader.GetString(0)] = reader.GetInt32(1);
        return counts;
    }

    /// <summary>The server an instance's database runs on: its own, or its cluster's for a database in a cluster.</summary>
    public async Task<ServerInfo?> ServerOf(ServiceInstance instance, CancellationToken ct = default) =>
        instance.ServerOwnerId == instance.Id ? instance.Server : (await Find(instance.ServerOwnerId, ct))?.Server;

    /// <summary>
    /// One operation of the instance as last_operation reports it (its latest when <paramref name="operationId"/> is
    /// null): from this node's read cache when it holds the instance's latest operation and it is that one, else read
    /// from the row's columns (only an older operation needs the folded instance). Exists is false for an unknown
    /// instance; Operation is null when the instance has no such operation.
    /// </summary>
    public async Task<(bool Exists, Operation? Operation)> FindOperation(Guid instanceId, Guid? operationId, CancellationToken ct = default)
    {
        if (cache is not null && await cache.Find(instanceId) is { } cached && (operationId is null || cached.Latest?.Id == operationId))
            return (true, cached.Latest);
        var ticket = cache?.Ticket ?? 0;
        await using var command = dataSource.CreateCommand($"""
            SELECT operation_id, operation_kind, operation_state, description, started_at,
                   CASE WHEN ($2::uuid IS NOT NULL AND operation_id IS DISTINCT FROM $2::uuid) OR operation_state = '{OperationStates.Failed}' THEN instance END,
                   version
            FROM {QualifiedTable} WHERE instance_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = instanceId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)operationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return (false, null);
        var latestId = reader.IsDBNull(0) ? (Guid?)null : reader.GetGuid(0);
        Operation? found;
        // A failed operation is read whole: it may say whether the instance is still usable.
        if (!reader.IsDBNull(5))
            found = Deserialize(reader.GetString(5)).Operations.LastOrDefault(o => o.Id == (operationId ?? latestId));
        else if (latestId is null) found = null;
        else
            found = new Operation(latestId.Value, Enum.Parse<OperationKind>(reader.GetString(1)),
                OperationStates.Parse(reader.GetString(2)), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4));
        if (operationId is null || operationId == latestId) cache?.Put(instanceId, reader.GetInt64(6), new CachedOperation(found), ticket);
        return (true, found);
    }

    /// <summary>
    /// Operations in progress that the watchdog must look at: past their deadline (the plan's maximum polling duration,
    /// else the default timeout), or without progress for <paramref name="quietFor"/>. Oldest first.
    /// </summary>
    public async Task<IReadOnlyList<RunningOperation>> FindNeedingAttention(
        DateTimeOffset now, TimeSpan defaultTimeout, TimeSpan quietFor, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT instance_id, operation_id, coalesce(deadline_at, started_at + $2), awaiting_outcome, coalesce(progressed_at, started_at)
            FROM {QualifiedTable}
            WHERE operation_state = $4 AND (coalesce(deadline_at, started_at + $2) < $1 OR coalesce(progressed_at, started_at) < $1 - $3)
            ORDER BY started_at LIMIT 1000
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = defaultTimeout });
        command.Parameters.Add(new NpgsqlParameter { Value = quietFor });
        command.Parameters.Add(new NpgsqlParameter { Value = OperationStates.InProgress });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var found = new List<RunningOperation>();
        while (await reader.ReadAsync(ct))
            found.Add(new RunningOperation(reader.GetGuid(0), reader.GetGuid(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetBoolean(3),
                reader.GetFieldValue<DateTimeOffset>(4)));
        return found;
    }

    /// <summary>Awaiting its outcome: neither timed out yet nor rolling back (a timeout would change nothing).</summary>
    private static bool AwaitingOutcome(ServiceInstance state) =>
        state.LastOperation is { InProgress: true, TimedOut: false } && !state.RollingBack;

    private static ServiceInstance Deserialize(string json) =>
        JsonSerializer.Deserialize<ServiceInstance>(json, EventJson.Options) ?? ServiceInstance.Initial;
}
