using System.Text.Json;
using Npgsql;

namespace EventSourced.Provisioners.Tests.Sagas;

internal sealed record SagaRow(string? State, int Version, JsonElement Data);

internal static class SagaRows
{
    public const string OrderTable = "saga_order";
    public const string TicketTable = "saga_ticket";

    public static async Task<SagaRow?> Find(NpgsqlDataSource dataSource, Guid correlationId, string table = OrderTable)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT current_state, version, data FROM {table} WHERE correlation_id = $1");
        command.Parameters.Add(new() { Value = correlationId });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) return null;
        return new SagaRow(
            reader.IsDBNull(0) ? null : reader.GetString(0),
            reader.GetInt32(1),
            JsonDocument.Parse(reader.GetString(2)).RootElement.Clone());
    }

    public static async Task<long> Count(NpgsqlDataSource dataSource, IReadOnlyCollection<Guid> correlationIds)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT count(*) FROM {OrderTable} WHERE correlation_id = ANY($1)");
        command.Parameters.Add(new() { Value = correlationIds.ToArray() });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

internal static class Eventually
{
    /// <summary>Polls <paramref name="probe" /> until <paramref name="done" /> holds, failing with the last value seen after the deadline.</summary>
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out after {seconds}s waiting for {what}; last seen: {value?.ToString() ?? "nothing"}");
            await Task.Delay(50);
        }
    }
}
