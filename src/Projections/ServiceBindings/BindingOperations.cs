using System.Text.Json;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Streams;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using Weasel.Postgresql.Tables;

namespace EventSourced.Projections.ServiceBindings;

/// <summary>
/// Answers binding fetches and binding last_operation polling: the folded binding per binding stream. An <b>inline</b>
/// projection, so a poll right after a 202 sees the operation.
/// </summary>
public sealed class BindingOperations(NpgsqlDataSource dataSource, IOptions<EventStoreOptions> options)
    : StreamView(ProjectionName, ProjectionLifecycle.Inline, ServiceBinding.StreamPrefix, options.Value.Schema, "binding_operations")
{
    public const string ProjectionName = "binding-operations";

    protected override void DefineColumns(Table t)
    {
        t.AddColumn<Guid>("binding_id").AsPrimaryKey();
        t.AddColumn<Guid>("instance_id").NotNull();
        t.AddColumn<long>("version").NotNull();
        t.AddColumn<string>("status").NotNull();
        t.AddColumn("binding", "json").NotNull();
        t.Indexes.Add(new IndexDefinition("binding_operations_instance_id") { Columns = ["instance_id"] });
        // The watchdog's overdue bindings. Not a partial index: PostgreSQL rewrites an IN predicate, and Weasel's schema
        // check would then report a difference on every start.
        t.Indexes.Add(new IndexDefinition("binding_operations_status") { Columns = ["status"] });
    }

    public override void Write(IDocumentOperations operations, IReadOnlyDictionary<string, IReadOnlyList<IEvent>> streams, bool replace = false)
    {
        var rows = streams.Values.Select(events => (Binding: ServiceBinding.Fold(events.Payloads()), Version: events[^1].Version))
            .Where(row => row.Binding is not null).Select(row => (Binding: row.Binding!, row.Version)).ToList();
        if (rows.Count == 0) return;
        operations.QueueSqlCommand($"""
            INSERT INTO {QualifiedTable} AS b (binding_id, instance_id, version, status, binding)
            SELECT * FROM unnest(?::uuid[], ?::uuid[], ?::bigint[], ?::text[], ?::text[]::json[])
            ON CONFLICT (binding_id) DO UPDATE SET
                instance_id = excluded.instance_id, version = excluded.version, status = excluded.status, binding = excluded.binding
            {Guard("b", replace)}
            """,
            rows.Select(r => r.Binding.Id).ToArray(), rows.Select(r => r.Binding.InstanceId).ToArray(),
            rows.Select(r => r.Version).ToArray(), rows.Select(r => r.Binding.Status.ToString()).ToArray(),
            rows.Select(r => JsonSerializer.Serialize(r.Binding, EventJson.Options)).ToArray());
    }

    /// <summary>Bindings whose create or delete has been in progress for longer than <paramref name="timeout"/>: (binding, operation).</summary>
    public async Task<IReadOnlyList<(Guid BindingId, Guid OperationId)>> FindOverdue(DateTimeOffset now, TimeSpan timeout, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT binding_id, (binding->'operations'->-1->>'id')::uuid FROM {QualifiedTable}
            WHERE status IN ('{BindingStatus.Creating}', '{BindingStatus.Deleting}')
              AND (binding->'operations'->-1->>'startedAt')::timestamptz < $1 - $2
            LIMIT 1000
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = timeout });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var overdue = new List<(Guid, Guid)>();
        while (await reader.ReadAsync(ct)) overdue.Add((reader.GetGuid(0), reader.GetGuid(1)));
        return overdue;
    }

    /// <summary>The binding as of its latest recorded event, when it belongs to <paramref name="instanceId"/>.</summary>
    public async Task<ServiceBinding?> Find(Guid instanceId, Guid bindingId, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT binding FROM {QualifiedTable} WHERE binding_id = $1 AND instance_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = bindingId });
        command.Parameters.Add(new NpgsqlParameter { Value = instanceId });
        return await command.ExecuteScalarAsync(ct) is string json ? JsonSerializer.Deserialize<ServiceBinding>(json, EventJson.Options) : null;
    }
}
