using EventSourced.TestSupport;

namespace EventSourced.Bench.Infrastructure;

/// <summary>
/// The provisionings that have ended (the saga's last event on the instance's stream), read from the log a little at a
/// time: each read takes only the events after the highest sequence seen, less a margin for appends that committed late
/// under a lower sequence, through mt_events' primary key. Polling by event type scanned the whole log on every poll,
/// and those scans were most of what the database did per provisioning in the bench's own figures.
/// </summary>
public sealed class ProvisioningOutcomes(PostgresDatabase database)
{
    /// <summary>Far more sequences than can be in flight (taken, not yet committed) at once in any scenario.</summary>
    private const long LateCommitMargin = 20_000;

    private readonly Dictionary<Guid, DateTimeOffset> succeeded = [];
    private readonly HashSet<Guid> failed = [];
    private long highest;

    public IReadOnlyDictionary<Guid, DateTimeOffset> Succeeded => succeeded;
    public IReadOnlySet<Guid> Failed => failed;

    /// <summary>Reads what ended since the last read; the first read takes the whole log once.</summary>
    public async Task<ProvisioningOutcomes> Refresh()
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT seq_id, substr(stream_id, length('service-instance-') + 1)::uuid, type = 'ServiceInstanceProvisioned', timestamp
            FROM broker.mt_events
            WHERE seq_id > $1 AND type IN ('ServiceInstanceProvisioned', 'ServiceInstanceProvisioningFailed')
              AND stream_id LIKE 'service-instance-%'
            """);
        command.Parameters.Add(new() { Value = Math.Max(0, highest - LateCommitMargin) });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            highest = Math.Max(highest, reader.GetInt64(0));
            var instance = reader.GetGuid(1);
            if (reader.GetBoolean(2)) succeeded.TryAdd(instance, reader.GetFieldValue<DateTimeOffset>(3));
            else failed.Add(instance);
        }
        return this;
    }
}
