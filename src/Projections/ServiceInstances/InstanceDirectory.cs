using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Subscriptions;
using Npgsql;

namespace EventSourced.Projections.ServiceInstances;

/// <summary>Which instances exist, where they run and how they are doing: the list and details for dashboards.</summary>
public sealed class InstanceDirectory(NpgsqlDataSource dataSource) : IProjection
{
    public const string ProjectionName = "instance-directory";

    public string Name => ProjectionName;

    public IReadOnlyList<string> Tables => ["instance_directory"];

    public string Schema => """
        CREATE TABLE IF NOT EXISTS instance_directory (
            instance_id uuid PRIMARY KEY,
            service_id text NOT NULL,
            plan_id text NOT NULL,
            organization_guid text NOT NULL,
            space_guid text NOT NULL,
            status text NOT NULL,
            disk_mb int NOT NULL,
            data_directory text,
            host text,
            port int,
            database text,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL);
        """;

    public async Task Handle(IReadOnlyList<RecordedEvent> batch, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        await using var commands = new NpgsqlBatch(connection, transaction);
        foreach (var recorded in batch)
            if (Change(recorded.Data, recorded.CreatedAt) is { } change) commands.BatchCommands.Add(change);
        if (commands.BatchCommands.Count > 0) await commands.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<InstanceSummary>> List(int limit = 1000, CancellationToken ct = default)
    {
        const string sql = $"{Select} ORDER BY created_at LIMIT $1";
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await Read(command, ct);
    }

    public async Task<InstanceSummary?> Find(Guid instanceId, CancellationToken ct = default)
    {
        const string sql = $"{Select} WHERE instance_id = $1";
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = instanceId });
        return (await Read(command, ct)).SingleOrDefault();
    }

    private const string Select = """
        SELECT instance_id, service_id, plan_id, organization_guid, space_guid, status, disk_mb, data_directory, host, port,
               database, created_at, updated_at
        FROM instance_directory
        """;

    private static NpgsqlBatchCommand? Change(IDomainEvent e, DateTimeOffset at) => e switch
    {
        ServiceInstanceProvisioningRequested r => Command("""
            INSERT INTO instance_directory (instance_id, service_id, plan_id, organization_guid, space_guid, status, disk_mb, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, 'Provisioning', $6, $7, $7)
            ON CONFLICT (instance_id) DO UPDATE SET service_id = $2, plan_id = $3, organization_guid = $4, space_guid = $5,
                status = 'Provisioning', disk_mb = $6, updated_at = $7
            """, r.InstanceId, r.ServiceId, r.PlanId, r.OrganizationGuid, r.SpaceGuid, r.DiskMb, at),
        StorageProvisioned s => Command("UPDATE instance_directory SET data_directory = $2, updated_at = $3 WHERE instance_id = $1",
            s.InstanceId, s.DataDirectory, at),
        ServerProvisioned s => Command("UPDATE instance_directory SET host = $2, port = $3, updated_at = $4 WHERE instance_id = $1",
            s.InstanceId, s.Host, s.Port, at),
        DatabaseProvisioned d => Command("UPDATE instance_directory SET database = $2, updated_at = $3 WHERE instance_id = $1",
            d.InstanceId, d.Database, at),
        StorageDeprovisioned s => Command("UPDATE instance_directory SET data_directory = NULL, updated_at = $2 WHERE instance_id = $1",
            s.InstanceId, at),
        ServerDeprovisioned s => Command("UPDATE instance_directory SET host = NULL, port = NULL, updated_at = $2 WHERE instance_id = $1",
            s.InstanceId, at),
        DatabaseDeprovisioned d => Command("UPDATE instance_directory SET database = NULL, updated_at = $2 WHERE instance_id = $1",
            d.InstanceId, at),
        ServiceInstanceProvisioned p => Status(p.InstanceId, InstanceStatus.Provisioned, at),
        ServiceInstanceProvisioningFailed f => Status(f.InstanceId, InstanceStatus.ProvisioningFailed, at),
        ServiceInstanceDeprovisioningRequested d => Status(d.InstanceId, InstanceStatus.Deprovisioning, at),
        ServiceInstanceDeprovisioningFailed f => Status(f.InstanceId, InstanceStatus.DeprovisioningFailed, at),
        ServiceInstanceDeprovisioned d => Command("DELETE FROM instance_directory WHERE instance_id = $1", d.InstanceId),
        _ => null,
    };

    private static NpgsqlBatchCommand Status(Guid instanceId, InstanceStatus status, DateTimeOffset at) =>
        Command("UPDATE instance_directory SET status = $2, updated_at = $3 WHERE instance_id = $1", instanceId, status.ToString(), at);

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }

    private static async Task<IReadOnlyList<InstanceSummary>> Read(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
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

public sealed record InstanceSummary(
    Guid InstanceId, string ServiceId, string PlanId, string OrganizationGuid, string SpaceGuid, string Status, int DiskMb,
    string? DataDirectory, string? Host, int? Port, string? Database, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
