using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace EventSourced.Commands.EventStore;

public sealed partial class EventStore
{
    private const string Columns =
        "event_id, position, transaction_id, stream_id, version, event_type, data, metadata, created_at";

    private const string SelectStream = $"""
        SELECT {Columns} FROM events
        WHERE stream_id = $1 AND version >= $2
        ORDER BY version
        """;

    private const string SelectStreamData = """
        SELECT version, event_type, data FROM events
        WHERE stream_id = $1
        ORDER BY version
        """;

    // The horizon: pg_snapshot_xmin is the oldest transaction still running, so every transaction below it has
    // finished and its events (if it committed) are already visible. A transaction that took an earlier position but
    // commits later keeps its own transaction id above the horizon until it ends, and because cursors order by
    // (transaction_id, position), an event released later always sorts after every cursor handed out before.
    // The horizon is cluster-wide: a long transaction in any database of the server holds readers back until it ends.
    private const string VisibleAfter = """
        (transaction_id, position) > ($1, $2)
        AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        """;

    private const string SelectAll = $"""
        SELECT {Columns} FROM events
        WHERE {VisibleAfter}
        ORDER BY transaction_id, position
        LIMIT $3
        """;

    private const string SelectHead = """
        SELECT transaction_id, position FROM events
        WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY transaction_id DESC, position DESC
        LIMIT 1
        """;

    private const string CountAfter = $"SELECT count(*) FROM events WHERE {VisibleAfter}";

    public async Task<IReadOnlyList<RecordedEvent>> ReadStream(string streamId, long fromVersion = 1, CancellationToken ct = default)
    {
        await using var command = DataSource.CreateCommand(SelectStream);
        command.Parameters.Add(new() { Value = streamId });
        command.Parameters.Add(new() { Value = fromVersion });
        return await ReadEvents(command, ct);
    }

    /// <summary>What folding a stream's state needs: its events' data (no metadata) and its version.</summary>
    public async Task<(IReadOnlyList<IDomainEvent> Events, long Version)> LoadStream(string streamId, CancellationToken ct = default)
    {
        await using var command = DataSource.CreateCommand(SelectStreamData);
        command.Parameters.Add(new() { Value = streamId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var events = new List<IDomainEvent>();
        var version = StreamVersion.NoStream;
        while (await reader.ReadAsync(ct))
        {
            version = reader.GetInt64(0);
            events.Add(Deserialize(reader.GetString(1), reader.GetString(2)));
        }
        return (events, version);
    }

    public async Task<IReadOnlyList<RecordedEvent>> ReadAll(GlobalCursor after, int maxCount, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        await using var command = DataSource.CreateCommand(SelectAll);
        AddCursor(command, after);
        command.Parameters.Add(new() { Value = maxCount });
        return await ReadEvents(command, ct);
    }

    public async Task<GlobalCursor> ReadHead(CancellationToken ct = default)
    {
        await using var command = DataSource.CreateCommand(SelectHead);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new GlobalCursor(reader.GetFieldValue<ulong>(0), reader.GetInt64(1))
            : GlobalCursor.Start;
    }

    public async Task<long> CountVisible(GlobalCursor after, CancellationToken ct = default)
    {
        await using var command = DataSource.CreateCommand(CountAfter);
        AddCursor(command, after);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static void AddCursor(NpgsqlCommand command, GlobalCursor after)
    {
        command.Parameters.Add(new() { Value = after.TransactionId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new() { Value = after.Position });
    }

    private async Task<IReadOnlyList<RecordedEvent>> ReadEvents(NpgsqlCommand command, CancellationToken ct)
    {
        var events = new List<RecordedEvent>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var eventType = reader.GetString(5);
            events.Add(new RecordedEvent(
                EventId: reader.GetGuid(0),
                Position: reader.GetInt64(1),
                TransactionId: reader.GetFieldValue<ulong>(2),
                StreamId: reader.GetString(3),
                Version: reader.GetInt64(4),
                EventType: eventType,
                Data: Deserialize(eventType, reader.GetString(6)),
                Metadata: JsonSerializer.Deserialize<EventMetadata>(reader.GetString(7), Json)!,
                CreatedAt: reader.GetFieldValue<DateTimeOffset>(8)));
        }
        return events;
    }
}
