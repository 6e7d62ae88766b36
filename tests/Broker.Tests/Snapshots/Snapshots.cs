using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Ops;
using Npgsql;

namespace EventSourced.Broker.Tests.Snapshots;

/// <summary>The snapshot calls of the tests, and the data they compare: spelled once.</summary>
public static class Snapshots
{
    public static Task<HttpResponseMessage> ExportJob(this HttpClient ops, object body) => ops.PostAsJsonAsync("/api/v1/ops/export", body);

    public static Task<HttpResponseMessage> ImportJob(this HttpClient ops, object body) => ops.PostAsJsonAsync("/api/v1/ops/import", body);

    /// <summary>An export's job and snapshot ids, failing with the answer unless it was a 202.</summary>
    public static async Task<(Guid JobId, Guid SnapshotId)> Export(this HttpClient ops, Guid instanceId, string? destination = null)
    {
        var response = await ops.ExportJob(destination is null ? new { instanceId } : new { instanceId, destination });
        var body = await response.Content.ReadAsStringAsync();
        var jobId = await response.JobId();
        return (jobId, Guid.Parse((string)JsonNode.Parse(body)!["snapshotId"]!));
    }

    public static async Task<JsonObject> Snapshot(this HttpClient ops, Guid snapshotId) =>
        JsonNode.Parse(await ops.GetStringAsync($"/api/v1/ops/snapshots/{snapshotId}"))!.AsObject();

    /// <summary>Tables of a varied shape (keys, arrays, json, bytea, a view, a bumped sequence) filled with generated rows.</summary>
    public static async Task Fill(string connectionString, int rows)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"""
            CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL, balance numeric(12,2), tags text[], doc jsonb, created timestamptz);
            INSERT INTO accounts (name, balance, tags, doc, created)
                SELECT 'account ' || g, g * 1.25, ARRAY['t' || (g % 7), 'u' || (g % 3)], jsonb_build_object('n', g, 'even', g % 2 = 0),
                       timestamptz '2026-01-01 00:00+00' + g * interval '1 minute'
                FROM generate_series(1, {rows}) g;
            CREATE TABLE blobs (id int PRIMARY KEY, payload bytea, account bigint REFERENCES accounts(id));
            INSERT INTO blobs SELECT g, sha256(g::text::bytea), g FROM generate_series(1, {rows / 2}) g;
            CREATE VIEW rich AS SELECT id, name FROM accounts WHERE balance > 100;
            SELECT setval('accounts_id_seq', {rows + 500});
            """, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Every public table's row count and checksum of its rows in order, and the sequences' values: equal data gives equal text.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> Checksums(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
                         "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name", connection))
        await using (var reader = await list.ExecuteReaderAsync())
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        var sums = new Dictionary<string, string>();
        foreach (var table in tables)
        {
            await using var sum = new NpgsqlCommand(
                $"SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM \"{table}\" t", connection);
            sums[table] = (string)(await sum.ExecuteScalarAsync())!;
        }
        await using (var sequence = new NpgsqlCommand("SELECT last_value::text FROM accounts_id_seq", connection))
            sums["accounts_id_seq"] = (string)(await sequence.ExecuteScalarAsync())!;
        return sums;
    }
}
