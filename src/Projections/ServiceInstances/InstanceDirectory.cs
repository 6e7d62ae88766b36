using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Streams;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using Weasel.Postgresql.Tables;

namespace EventSourced.Projections.ServiceInstances;

/// <summary>
/// Which instances exist, where they run and how they are doing: the list and details for dashboards. An
/// <b>asynchronous</b> projection run by Marten's daemon (HotCold: one node runs it, another takes over when it dies).
/// A deprovisioned instance has no row.
/// </summary>
public sealed class InstanceDirectory(NpgsqlDataSource dataSource, IOptions<EventStoreOptions> options)
    : StreamView(ProjectionName, ProjectionLifecycle.Async, ServiceInstance.StreamPrefix, options.Value.Schema, "instance_directory")
{
    public const string ProjectionName = "instance-directory";

    protected override void DefineColumns(Table t)
    {
        t.AddColumn<Guid>("instance_id").AsPrimaryKey();
        t.AddColumn<long>("version").NotNull();
        t.AddColumn<string>("service_id").NotNull();
        t.AddColumn<string>("plan_id").NotNull();
        t.AddColumn<string>("organization_guid").NotNull();
        t.AddColumn<string>("space_guid").NotNull();
        t.AddColumn<string>("status").NotNull();
        t.AddColumn<int>("disk_mb").NotNull();
        t.AddColumn<string>("data_directory");
        t.AddColumn<string>("host");
        t.AddColumn<int>("port");
        t.AddColumn<string>("database");
        t.AddColumn("created_at", "timestamptz").NotNull();
        t.AddColumn("updated_at", "timestamptz").NotNull();
        t.Indexes.Add(new IndexDefinition("instance_directory_created_at") { Columns = ["created_at"] });
    }

    public override void Write(IDocumentOperations operations, IReadOnlyDictionary<string, IReadOnlyList<IEvent>> streams, bool replace = false)
    {
        var folded = FoldedInstances.Of(streams);
        var rows = folded.Where(r => r.State.Exists).Select(r => (Summary: InstanceSummary.Of(r.State), r.Version)).ToList();
        var gone = folded.Where(r => !r.State.Exists).ToList();
        if (rows.Count > 0)
            operations.QueueSqlCommand($"""
                INSERT INTO {QualifiedTable} AS d (instance_id, version, service_id, plan_id, organization_guid, space_guid, status, disk_mb,
                                          data_directory, host, port, database, created_at, updated_at)
                SELECT * FROM unnest(?::uuid[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int[],
                                     ?::text[], ?::text[], ?::int[], ?::text[], ?::timestamptz[], ?::timestamptz[])
                ON CONFLICT (instance_id) DO UPDATE SET
                    version = excluded.version, service_id = excluded.service_id, plan_id = excluded.plan_id,
                    organization_guid = excluded.organization_guid, space_guid = excluded.space_guid, status = excluded.status,
                    disk_mb = excluded.disk_mb, data_directory = excluded.data_directory, host = excluded.host, port = excluded.port,
                    database = excluded.database, created_at = excluded.created_at, updated_at = excluded.updated_at
                {Guard("d", replace)}
                """,
                rows.Select(r => r.Summary.InstanceId).ToArray(), rows.Select(r => r.Version).ToArray(),
                rows.Select(r => r.Summary.ServiceId).ToArray(), rows.Select(r => r.Summary.PlanId).ToArray(),
                rows.Select(r => r.Summary.OrganizationGuid).ToArray(), rows.Select(r => r.Summary.SpaceGuid).ToArray(),
                rows.Select(r => r.Summary.Status).ToArray(), rows.Select(r => r.Summary.DiskMb).ToArray(),
                rows.Select(r => r.Summary.DataDirectory).ToArray(), rows.Select(r => r.Summary.Host).ToArray(),
                rows.Select(r => r.Summary.Port).ToArray(), rows.Select(r => r.Summary.Database).ToArray(),
                rows.Select(r => r.Summary.CreatedAt).ToArray(), rows.Select(r => r.Summary.UpdatedAt).ToArray());
        QueueRemoval(operations, gone.Select(r => (r.State.Id, r.Version)).ToList(), replace);
    }

    public async Task<IReadOnlyList<InstanceSummary>> List(int limit = 1000, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"{Select} ORDER BY created_at LIMIT $1");
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await Read(command, ct);
    }

    public async Task<InstanceSummary?> Find(Guid instanceId, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"{Select} WHERE instance_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = instanceId });
        return (await Read(command, ct)).SingleOrDefault();
    }

    /// <summary>
    /// One page of the instances that match every given filter (a null filter matches all), oldest first, and how many
    /// match in all: the operators' overview.
    /// </summary>
    public async Task<InstancePage> Page(InstanceFilter filter, int offset, int limit, CancellationToken ct = default)
    {
        const string where = """
            WHERE ($1::text IS NULL OR service_id = $1) AND ($2::text IS NULL OR plan_id = $2) AND ($3::text IS NULL OR status = $3)
              AND ($4::text IS NULL OR organization_guid = $4) AND ($5::text IS NULL OR space_guid = $5)
            """;
        await using var batch = dataSource.CreateBatch();
        var rows = new NpgsqlBatchCommand($"{Select} {where} ORDER BY created_at, instance_id LIMIT $6 OFFSET $7");
        var count = new NpgsqlBatchCommand($"SELECT count(*) FROM {QualifiedTable} {where}");
        foreach (var command in new[] { rows, count })
            foreach (var value in new[] { filter.ServiceId, filter.PlanId, filter.Status, filter.OrganizationGuid, filter.SpaceGuid })
                command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        rows.Parameters.Add(new NpgsqlParameter { Value = limit });
        rows.Parameters.Add(new NpgsqlParameter { Value = offset });
        batch.BatchCommands.Add(rows);
        batch.BatchCommands.Add(count);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        var instances = await Read(reader, ct);
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        return new InstancePage(instances, reader.GetInt64(0));
    }

    private string Select => $"""
        SELECT instance_id, service_id, plan_id, organization_guid, space_guid, status, disk_mb, data_directory, host, port,
               database, created_at, updated_at
        FROM {QualifiedTable}
        """;

    private static async Task<IReadOnlyList<InstanceSummary>> Read(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await Read(reader, ct);
    }

    private static async Task<IReadOnlyList<InstanceSummary>> Read(NpgsqlDataReader reader, CancellationToken ct)
    {
        var rows = new List<InstanceSummary>();
        while (await reader.ReadAsync(ct))
            rows.Add(new InstanceSummary(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetInt32(6), Nullable<string>(reader, 7), Nullable<string>(reader, 8),
                reader.IsDBNull(9) ? null : reader.GetInt32(9), Nullable<string>(reader, 10),
                reader.GetFieldValue<DateTimeOffset>(11), reader.GetFieldValue<DateTimeOffset>(12)));
        return rows;
    }

    private static T? Nullable<T>(NpgsqlDataReader reader, int ordinal) where T : class =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<T>(ordinal);
}

/// <summary>Which instances the overview shows: each filter given must match exactly (status as in <see cref="InstanceStatus"/>).</summary>
public sealed record InstanceFilter(
    string? ServiceId = null, string? PlanId = null, string? Status = null, string? OrganizationGuid = null, string? SpaceGuid = null);

public sealed record InstancePage(IReadOnlyList<InstanceSummary> Instances, long Total);

public sealed record InstanceSummary(
    Guid InstanceId, string ServiceId, string PlanId, string OrganizationGuid, string SpaceGuid, string Status, int DiskMb,
    string? DataDirectory, string? Host, int? Port, string? Database, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static InstanceSummary Of(ServiceInstance state) => new(
        state.Id, state.ServiceId, state.PlanId, state.OrganizationGuid, state.SpaceGuid, state.Status.ToString(), state.DiskMb,
        state.Storage?.DataDirectory, state.Server?.Host, state.Server?.Port, state.Database?.Database,
        state.CreatedAt ?? DateTimeOffset.MinValue, state.UpdatedAt ?? state.CreatedAt ?? DateTimeOffset.MinValue);
}
