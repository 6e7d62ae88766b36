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

namespace EventSourced.Projections.Clusters;

/// <summary>
/// Clusters and the databases in them, grouped by cluster across the children's streams: finds a cluster by its name
/// in a space (a child's <c>{"cluster": "name"}</c>) and lists a cluster's children with their state and last operation
/// for the dashboard. Whether a cluster may be deleted is not read here: that is decided on the cluster's own stream.
/// <b>Inline</b>, so a cluster is found by name right after it is provisioned or renamed, on any node. Dedicated
/// instances have no row; a deprovisioned one loses its row. Rebuilt like the other views (`projections rebuild
/// cluster-members`).
/// </summary>
public sealed class ClusterMembers(NpgsqlDataSource dataSource, IOptions<EventStoreOptions> options)
    : StreamView(ProjectionName, ProjectionLifecycle.Inline, ServiceInstance.StreamPrefix, options.Value.Schema, "cluster_members")
{
    public const string ProjectionName = "cluster-members";

    public override bool RowPerStream => false;

    protected override void DefineColumns(Table t)
    {
        t.AddColumn<Guid>("instance_id").AsPrimaryKey();
        t.AddColumn<long>("version").NotNull();
        t.AddColumn<string>("shape").NotNull();
        t.AddColumn<Guid>("cluster_id");
        t.AddColumn<string>("name");
        t.AddColumn<string>("plan_id").NotNull();
        t.AddColumn<string>("organization_guid").NotNull();
        t.AddColumn<string>("organization_name");
        t.AddColumn<string>("space_guid").NotNull();
        t.AddColumn<string>("space_name");
        t.AddColumn<string>("status").NotNull();
        t.AddColumn("last_operation", "json");
        t.AddColumn("updated_at", "timestamptz").NotNull();
        t.Indexes.Add(new IndexDefinition("cluster_members_cluster_id") { Columns = ["cluster_id"] });
        t.Indexes.Add(new IndexDefinition("cluster_members_name") { Columns = ["name"] });
    }

    public override void Write(IDocumentOperations operations, IReadOnlyDictionary<string, IReadOnlyList<IEvent>> streams, bool replace = false)
    {
        // Only streams that were ever a cluster or a database in one are folded: this runs in every instance append.
        var members = streams.Where(s => s.Value.Any(e => e.Data is ServiceInstanceProvisioningRequested { Shape: InstanceShape.Cluster or InstanceShape.ClusterDatabase }))
            .ToDictionary();
        if (members.Count == 0) return;
        var folded = FoldedInstances.Of(members).Where(r => r.State.Shape is InstanceShape.Cluster or InstanceShape.ClusterDatabase).ToList();
        var rows = folded.Where(r => r.State.Exists).Select(r => (r.State, r.Version, Context: PlatformContext.Of(r.State.Context))).ToList();
        var gone = folded.Where(r => !r.State.Exists).ToList();
        if (rows.Count > 0)
            operations.QueueSqlCommand($"""
                INSERT INTO {QualifiedTable} AS m (instance_id, version, shape, cluster_id, name, plan_id, organization_guid, organization_name,
                                          space_guid, space_name, status, last_operation, updated_at)
                SELECT * FROM unnest(?::uuid[], ?::bigint[], ?::text[], ?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[],
                                     ?::text[], ?::text[], ?::text[], ?::text[]::json[], ?::timestamptz[])
                ON CONFLICT (instance_id) DO UPDATE SET
                    version = excluded.version, shape = excluded.shape, cluster_id = excluded.cluster_id, name = excluded.name,
                    plan_id = excluded.plan_id, organization_guid = excluded.organization_guid,
                    organization_name = excluded.organization_name, space_guid = excluded.space_guid,
                    space_name = excluded.space_name, status = excluded.status, last_operation = excluded.last_operation,
                    updated_at = excluded.updated_at
                {Guard("m", replace)}
                """,
                rows.Select(r => r.State.Id).ToArray(), rows.Select(r => r.Version).ToArray(),
                rows.Select(r => r.State.Shape.ToString()).ToArray(), rows.Select(r => r.State.ClusterId).ToArray(),
                rows.Select(r => r.Context.InstanceName).ToArray(), rows.Select(r => r.State.PlanId).ToArray(),
                rows.Select(r => r.State.OrganizationGuid).ToArray(), rows.Select(r => r.Context.OrganizationName).ToArray(),
                rows.Select(r => r.State.SpaceGuid).ToArray(), rows.Select(r => r.Context.SpaceName).ToArray(),
                rows.Select(r => r.State.Status.ToString()).ToArray(),
                rows.Select(r => r.State.LastOperation is { } op ? JsonSerializer.Serialize(op, EventJson.Options) : null).ToArray(),
                rows.Select(r => r.State.UpdatedAt ?? r.State.CreatedAt ?? DateTimeOffset.MinValue).ToArray());
        QueueRemoval(operations, gone.Select(r => (r.State.Id, r.Version)).ToList(), replace);
    }

    /// <summary>
    /// The clusters named <paramref name="name"/> in an organization and space, each given by guid or by name (the
    /// context's <c>organization_name</c> / <c>space_name</c>). More than one: the name is ambiguous there.
    /// </summary>
    public async Task<IReadOnlyList<ClusterMember>> FindClusters(string name, string organization, string space, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"""
            {Select} WHERE shape = $1 AND name = $2 AND (organization_guid = $3 OR organization_name = $3)
                           AND (space_guid = $4 OR space_name = $4)
            ORDER BY instance_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = nameof(InstanceShape.Cluster) });
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = organization });
        command.Parameters.Add(new NpgsqlParameter { Value = space });
        return await Read(command, ct);
    }

    /// <summary>The databases of a cluster, oldest first.</summary>
    public async Task<IReadOnlyList<ClusterMember>> ChildrenOf(Guid clusterId, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"{Select} WHERE cluster_id = $1 ORDER BY instance_id");
        command.Parameters.Add(new NpgsqlParameter { Value = clusterId });
        return await Read(command, ct);
    }

    private string Select => $"""
        SELECT instance_id, cluster_id, name, plan_id, organization_guid, space_guid, status, last_operation, updated_at
        FROM {QualifiedTable}
        """;

    private static async Task<IReadOnlyList<ClusterMember>> Read(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<ClusterMember>();
        while (await reader.ReadAsync(ct))
            rows.Add(new ClusterMember(
                reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6),
                reader.IsDBNull(7) ? null : JsonSerializer.Deserialize<Operation>(reader.GetString(7), EventJson.Options),
                reader.GetFieldValue<DateTimeOffset>(8)));
        return rows;
    }
}
