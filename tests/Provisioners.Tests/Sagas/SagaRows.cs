using System.Text.Json;
using Npgsql;

namespace EventSourced.Provisioners.Tests.Sagas;

/// <summary>A saga document as stored: its state and data from the JSON, its version from Marten's revision column.</summary>
internal sealed record SagaRow(string? State, int Version, JsonElement Data);

/// <summary>Reads the saga documents' tables with plain SQL, independently of Marten and of the repository under test.</summary>
internal static class SagaRows
{
    public const string OrderTable = "mt_doc_orderstate";
    public const string TicketTable = "mt_doc_ticketstate";

    public static async Task<SagaRow?> Find(NpgsqlDataSource dataSource, Guid correlationId, string table = OrderTable)
    {
        await using var command = dataSource.CreateCommand($"SELECT mt_version, data FROM {table} WHERE id = $1");
        command.Parameters.Add(new() { Value = correlationId });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) return null;
        var data = JsonDocument.Parse(reader.GetString(1)).RootElement.Clone();
        return new SagaRow(
            data.TryGetProperty("CurrentState", out var state) ? state.GetString() : null,
            Convert.ToInt32(reader.GetValue(0)),
            data);
    }

    public static async Task<long> Count(NpgsqlDataSource dataSource, IReadOnlyCollection<Guid> correlationIds)
    {
        await using var command = dataSource.CreateCommand($"SELECT count(*) FROM {OrderTable} WHERE id = ANY($1)");
        command.Parameters.Add(new() { Value = correlationIds.ToArray() });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
