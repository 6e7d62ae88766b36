using System.Security.Cryptography;
using System.Text;
using Marten;
using Npgsql;

namespace EventSourced.Broker.Hosting;

/// <summary>
/// Creates or migrates the broker's schema one process at a time. Marten's
/// <c>Storage.ApplyAllConfiguredChangesToDatabaseAsync()</c> takes no lock (it calls Weasel's apply with its no-op
/// global lock; only Marten's own start-up activator locks), so two nodes starting on a fresh database both found every
/// table missing and both ran the same CREATEs: the slower one failed on "already exists" and did not start. Here every
/// applier (a starting broker, <c>db apply</c>) first takes a PostgreSQL session advisory lock; the next one waits, then
/// finds nothing left to do.
/// </summary>
public static class SchemaApplier
{
    /// <summary>The advisory lock's key: one per schema name, the same in every process.</summary>
    public static long LockKey(string schema) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"event-sourced-broker:schema:{schema}")));

    public static async Task Apply(IDocumentStore store, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var key = LockKey(store.Options.DatabaseSchemaName);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await Execute(connection, "SELECT pg_advisory_lock($1)", key, ct);
        try
        {
            await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        }
        finally
        {
            // Unlocked before the connection goes back to the pool: the broker's pool does not reset connections.
            await Execute(connection, "SELECT pg_advisory_unlock($1)", key, CancellationToken.None);
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, long key, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = key } } };
        await command.ExecuteNonQueryAsync(ct);
    }
}
