using System.Text.Json;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.ServiceInstances;
using EventSourced.Projections.Streams;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using Weasel.Postgresql.Tables;

namespace EventSourced.Projections.Deployments;

/// <summary>An orphaned VM as operators and the sweepers read it.</summary>
public sealed record OrphanedVmRow(Guid InstanceId, string Vm, string? Host, Guid OperationId, DateTimeOffset OrphanedAt);

/// <summary>
/// The VMs deploys orphaned and no sweeper deleted yet (<see cref="VmOrphaned"/> without <see cref="VmDeleted"/>), one row per
/// instance that has any, with its host: what <c>GET /admin/orphans</c> lists and each host's sweeper works through.
/// <b>Inline</b>, so an orphan is listed (and swept) as soon as the deploy records it. Only appends of those events (and
/// of deprovisions) load their stream, and only streams that ever orphaned a VM are folded: this runs in every instance append.
/// </summary>
public sealed class OrphanedVmDirectory(NpgsqlDataSource dataSource, IOptions<EventStoreOptions> options)
    : StreamView(ProjectionName, ProjectionLifecycle.Inline, ServiceInstance.StreamPrefix, options.Value.Schema, "orphaned_vms")
{
    public const string ProjectionName = "orphaned-vms";

    /// <summary>Rows only for instances with VMs orphaned and not deleted yet.</summary>
    public override bool RowPerStream => false;

    protected override void DefineColumns(Table t)
    {
        t.AddColumn<Guid>("instance_id").AsPrimaryKey();
        t.AddColumn<long>("version").NotNull();
        t.AddColumn<string>("host");
        t.AddColumn("orphans", "json").NotNull();
        t.Indexes.Add(new IndexDefinition("orphaned_vms_host") { Columns = ["host"] });
    }

    // Only these change a stream's orphans (a deprovision takes them with the instance's folder).
    protected override bool Concerns(IEvent appended) => appended.Data is VmOrphaned or VmDeleted or ServiceInstanceDeprovisioned;

    public override void Write(IDocumentOperations operations, IReadOnlyDictionary<string, IReadOnlyList<IEvent>> streams, bool replace = false)
    {
        var orphaning = streams.Where(s => s.Value.Any(e => e.Data is VmOrphaned)).ToDictionary();
        if (orphaning.Count == 0) return;
        var folded = FoldedInstances.Of(orphaning);
        var rows = folded.Where(r => !r.State.OrphanedVms.IsEmpty).ToList();
        if (rows.Count > 0)
            operations.QueueSqlCommand($"""
                INSERT INTO {QualifiedTable} AS o (instance_id, version, host, orphans)
                SELECT * FROM unnest(?::uuid[], ?::bigint[], ?::text[], ?::text[]::json[])
                ON CONFLICT (instance_id) DO UPDATE SET version = excluded.version, host = excluded.host, orphans = excluded.orphans
                {Guard("o", replace)}
                """,
                rows.Select(r => r.State.Id).ToArray(), rows.Select(r => r.Version).ToArray(),
                rows.Select(r => r.State.OrphanedVms[0].Host).ToArray(),
                rows.Select(r => JsonSerializer.Serialize(r.State.OrphanedVms, EventJson.Options)).ToArray());
        QueueRemoval(operations, folded.Where(r => r.State.OrphanedVms.IsEmpty).Select(r => (r.State.Id, r.Version)).ToList(), replace);
    }

    /// <summary>
    /// The orphans, oldest first: all, or those of one instance, or those a host's sweeper deletes (<paramref name="host"/>;
    /// with <paramref name="includingHostless"/>, also those of instances made before hosts, which any worker serves).
    /// </summary>
    public async Task<IReadOnlyList<OrphanedVmRow>> List(Guid? instanceId = null, string? host = null, bool includingHostless = false,
        CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT instance_id, orphans FROM {QualifiedTable}
            WHERE ($1::uuid IS NULL OR instance_id = $1) AND ($2::text IS NULL OR host = $2 OR ($3 AND host IS NULL))
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid?> { TypedValue = instanceId, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = host, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = includingHostless });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<OrphanedVmRow>();
        while (await reader.ReadAsync(ct))
        {
            var instance = reader.GetGuid(0);
            rows.AddRange(JsonSerializer.Deserialize<List<OrphanedVm>>(reader.GetString(1), EventJson.Options)!
                .Select(o => new OrphanedVmRow(instance, o.Vm, o.Host, o.OperationId, o.OrphanedAt)));
        }
        return rows.OrderBy(r => r.OrphanedAt).ThenBy(r => r.InstanceId).ThenBy(r => r.Vm, StringComparer.Ordinal).ToList();
    }
}
