using EventSourced.TestSupport;
namespace EventSourced.Bench.Infrastructure;

/// <summary>
/// PostgreSQL's cumulative counters for one database (commits, rows read) and its tables (rows inserted, updated,
/// deleted; scans), readable without superuser; a delta over some work divided by the work's count says which statements
/// it costs the server. Counters reach the views up to ~10 s late (backends flush their statistics when idle), so take the
/// second snapshot after a pause.
/// </summary>
public sealed record TableStatistics(IReadOnlyDictionary<string, long> Counters)
{
    public static async Task<TableStatistics> Take(PostgresDatabase database)
    {
        var counters = new Dictionary<string, long>();
        await using (var command = database.DataSource.CreateCommand("""
            SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted
            FROM pg_stat_database WHERE datname = current_database()
            """))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            for (var i = 0; i < reader.FieldCount; i++) counters[$"database.{reader.GetName(i)}"] = reader.GetInt64(i);
        }
        await using (var command = database.DataSource.CreateCommand("""
            SELECT schemaname || '.' || relname, n_tup_ins, n_tup_upd, n_tup_del, coalesce(seq_scan, 0), coalesce(seq_tup_read, 0), coalesce(idx_scan, 0)
            FROM pg_stat_user_tables
            """))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var table = reader.GetString(0);
                string[] names = ["inserted", "updated", "deleted", "seq_scans", "seq_rows_read", "index_scans"];
                for (var i = 0; i < names.Length; i++) counters[$"{table}.{names[i]}"] = reader.GetInt64(i + 1);
            }
        }
        return new TableStatistics(counters);
    }

    /// <summary>Per unit of work: (after − before) / count, leaving out counters that did not move.</summary>
    public SortedDictionary<string, double> PerUnit(TableStatistics before, long count) => new(Counters
        .Select(c => (c.Key, Delta: c.Value - before.Counters.GetValueOrDefault(c.Key)))
        .Where(c => c.Delta != 0)
        .ToDictionary(c => c.Key, c => Math.Round(c.Delta / (double)Math.Max(1, count), 2)), StringComparer.Ordinal);
}
