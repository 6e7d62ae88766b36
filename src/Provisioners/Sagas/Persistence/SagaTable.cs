using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Npgsql;

namespace EventSourced.Provisioners.Sagas.Persistence;

/// <summary>The saga tables of one database: creates them and answers operational questions about them.</summary>
public sealed partial class SagaTable(NpgsqlDataSource dataSource)
{
    private readonly ConcurrentDictionary<string, bool> _created = new();

    public async Task EnsureCreated(string table, CancellationToken cancellationToken = default)
    {
        EnsureValidName(table);
        if (_created.ContainsKey(table)) return;

        const string lockSql = "SELECT pg_advisory_xact_lock(hashtext('saga_table:' || $1))";
        const string createSql = """
            CREATE TABLE IF NOT EXISTS {table} (
                correlation_id uuid PRIMARY KEY,
                current_state text,
                data jsonb NOT NULL,
                version int NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now())
            """;
        // CREATE TABLE IF NOT EXISTS is not safe against a concurrent creator (it can fail on pg_type's unique
        // index); one batch is one implicit transaction, so the advisory lock serializes creators across processes.
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(lockSql) { Parameters = { new() { Value = table } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(WithTable(createSql, table)));
        await batch.ExecuteNonQueryAsync(cancellationToken);
        _created.TryAdd(table, true);
    }

    /// <summary>
    /// Correlation ids of the sagas whose <paramref name="deadlineJsonProperty" /> (a timestamp with offset in the
    /// saga's JSON, as System.Text.Json writes DateTimeOffset) is at or before <paramref name="now" />, earliest first.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> FindDue(
        string table, string deadlineJsonProperty, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT correlation_id FROM {table}
            WHERE (data->>$1)::timestamptz <= $2
            ORDER BY (data->>$1)::timestamptz, correlation_id
            """;
        await EnsureCreated(table, cancellationToken);
        await using var command = dataSource.CreateCommand(WithTable(sql, table));
        command.Parameters.Add(new() { Value = deadlineJsonProperty });
        command.Parameters.Add(new() { Value = now.ToUniversalTime() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var due = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken)) due.Add(reader.GetGuid(0));
        return due;
    }

    internal static string WithTable(string sql, string table) => sql.Replace("{table}", table);

    /// <summary>Table names are spliced into SQL, so only plain lower-case identifiers (optionally schema-qualified) pass.</summary>
    internal static void EnsureValidName(string table)
    {
        if (!TableName().IsMatch(table))
            throw new ArgumentException(
                $"'{table}' is not a valid saga table name: use lower-case letters, digits and '_' (optionally schema.table).",
                nameof(table));
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}(\\.[a-z_][a-z0-9_]{0,62})?$")]
    private static partial Regex TableName();
}
