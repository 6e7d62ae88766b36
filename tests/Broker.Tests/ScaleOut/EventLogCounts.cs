using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Tests.ScaleOut;

/// <summary>
/// What ran, counted in the deployment's event log itself (<c>mt_events</c> of its schema), not in any read model: how
/// many instance streams ended <c>…Provisioned</c> and how often, and every event type recorded more than once for one
/// instance and operation (a step that ran twice).
/// </summary>
internal static class EventLogCounts
{
    /// <summary>Per instance stream: how many <see cref="ServiceInstanceProvisioned"/> it holds (zero included).</summary>
    public static async Task<IReadOnlyDictionary<Guid, long>> ProvisionedPerInstance(BrokerEnvironment environment)
    {
        await using var command = environment.Database.DataSource.CreateCommand($"""
            SELECT stream_id, count(*) FILTER (WHERE type = '{nameof(ServiceInstanceProvisioned)}')
            FROM broker.mt_events WHERE stream_id LIKE '{ServiceInstance.StreamPrefix}%' GROUP BY stream_id
            """);
        var counts = new Dictionary<Guid, long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            counts[Guid.Parse(reader.GetString(0)[ServiceInstance.StreamPrefix.Length..])] = reader.GetInt64(1);
        return counts;
    }

    /// <summary>
    /// Per event type: how many were recorded, and for how many distinct instance operations (an event without an
    /// operation counts in the first only): the two are equal when no step was recorded twice.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, (long Events, long Operations)>> PerType(BrokerEnvironment environment)
    {
        await using var command = environment.Database.DataSource.CreateCommand($"""
            SELECT type, count(*), count(DISTINCT stream_id || ' ' || (data ->> 'operationId'))
            FROM broker.mt_events WHERE stream_id LIKE '{ServiceInstance.StreamPrefix}%' AND type <> 'tombstone' GROUP BY type
            """);
        var counts = new Dictionary<string, (long, long)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) counts[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        return counts;
    }

    /// <summary>"stream, operation, type × count" for every event type recorded more than once in one operation of one instance.</summary>
    public static async Task<IReadOnlyList<string>> RecordedTwice(BrokerEnvironment environment)
    {
        await using var command = environment.Database.DataSource.CreateCommand($"""
            SELECT stream_id, data ->> 'operationId', type, count(*)
            FROM broker.mt_events
            WHERE stream_id LIKE '{ServiceInstance.StreamPrefix}%' AND type <> 'tombstone'
            GROUP BY 1, 2, 3 HAVING count(*) > 1 ORDER BY 1, 2, 3
            """);
        var twice = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            twice.Add($"{reader.GetString(0)} operation {(reader.IsDBNull(1) ? "-" : reader.GetString(1))}: {reader.GetString(2)} × {reader.GetInt64(3)}");
        return twice;
    }
}
