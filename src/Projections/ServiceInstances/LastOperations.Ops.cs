using EventSourced.Commands.ServiceInstances;
using Npgsql;

namespace EventSourced.Projections.ServiceInstances;

/// <summary>
/// The ops API's questions, answered from the inline rows, so a job or instance is there right after its 202 on any node.
/// </summary>
public sealed partial class LastOperations
{
    /// <summary>
    /// The instance that ran operation <paramref name="operationId"/>: the instance whose latest operation it is, else
    /// (an operation that is history) the one whose operations hold it. Both are scans of one row per instance: the ops API
    /// asks now and then, and no index is kept on the hot append path for it.
    /// </summary>
    public async Task<ServiceInstance?> FindByOperation(Guid operationId, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"""
            (SELECT instance FROM {QualifiedTable} WHERE operation_id = $1)
            UNION ALL
            (SELECT instance FROM {QualifiedTable}
             WHERE operation_id IS DISTINCT FROM $1 AND (instance::jsonb -> 'operations') @> jsonb_build_array(jsonb_build_object('id', $1::text)))
            LIMIT 1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = operationId });
        var json = (string?)await command.ExecuteScalarAsync(ct);
        return json is null ? null : Deserialize(json);
    }

    /// <summary>Instances that exist or are on their way (not deprovisioned), oldest first; of one owner (organization) when given.</summary>
    public async Task<IReadOnlyList<ServiceInstance>> List(string? organizationGuid, int limit, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT instance FROM {QualifiedTable}
            WHERE status <> $1 AND ($2::text IS NULL OR instance ->> 'organizationGuid' = $2)
            ORDER BY instance ->> 'createdAt', instance_id LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = nameof(InstanceStatus.Deprovisioned) });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)organizationGuid ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var found = new List<ServiceInstance>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) found.Add(Deserialize(reader.GetString(0)));
        return found;
    }

    /// <summary>How many instances are in each status, and how many operations are in progress.</summary>
    public async Task<(IReadOnlyDictionary<string, long> ByStatus, long InProgress)> Count(CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT status, count(*), count(*) FILTER (WHERE operation_state = $1) FROM {QualifiedTable} GROUP BY status
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = OperationStates.InProgress });
        var byStatus = new Dictionary<string, long>();
        var inProgress = 0L;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            byStatus[reader.GetString(0)] = reader.GetInt64(1);
            inProgress += reader.GetInt64(2);
        }
        return (byStatus, inProgress);
    }
}
