using System.Text.Json;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using Npgsql;
using NpgsqlTypes;

namespace EventSourced.Broker.Tests.Migration;

/// <summary>
/// The previous, hand-written event store as it was before Marten (git 010a9be, EventStore.Schema.cs / .Append.cs):
/// its tables, kept here as SQL, and appends written the way it wrote them (event_type = CLR class name, data and
/// metadata as System.Text.Json web defaults, so camelCase and enums as numbers; one transaction per append).
/// </summary>
internal sealed class OldEventStore(NpgsqlDataSource dataSource)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public const string Schema = """
        CREATE TABLE streams (
            stream_id  text        PRIMARY KEY,
            version    bigint      NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE events (
            position       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
            event_id       uuid        NOT NULL UNIQUE,
            stream_id      text        NOT NULL,
            version        bigint      NOT NULL,
            event_type     text        NOT NULL,
            data           jsonb       NOT NULL,
            metadata       jsonb       NOT NULL,
            created_at     timestamptz NOT NULL DEFAULT now(),
            UNIQUE (stream_id, version)
        );
        CREATE INDEX events_transaction_id_position_idx ON events (transaction_id, position);
        CREATE TABLE inbox (
            consumer     text        NOT NULL,
            message_id   uuid        NOT NULL,
            processed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (consumer, message_id)
        );
        CREATE TABLE subscription_checkpoints (
            name           text        PRIMARY KEY,
            transaction_id xid8        NOT NULL,
            position       bigint      NOT NULL,
            updated_at     timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE last_operations (instance_id uuid PRIMARY KEY, version bigint NOT NULL, instance jsonb NOT NULL);
        """;

    private static readonly Dictionary<string, Type> Types = typeof(ServiceInstance).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IDomainEvent).IsAssignableFrom(t))
        .ToDictionary(t => t.Name);

    /// <summary>The time the next event is stamped with (created_at), one second later each event.</summary>
    public DateTimeOffset Clock { get; private set; } = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    public async Task Create()
    {
        await using var command = dataSource.CreateCommand(Schema);
        await command.ExecuteNonQueryAsync();
    }

    public async Task Append(string streamId, EventMetadata metadata, params IDomainEvent[] events)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await Append(connection, transaction, streamId, metadata, events);
        await transaction.CommitAsync();
    }

    public async Task Append(NpgsqlConnection connection, NpgsqlTransaction transaction, string streamId, EventMetadata metadata, params IDomainEvent[] events)
    {
        long version;
        await using (var stream = new NpgsqlCommand("""
            INSERT INTO streams (stream_id, version) VALUES ($1, $2)
            ON CONFLICT (stream_id) DO UPDATE SET version = streams.version + excluded.version, updated_at = now()
            RETURNING version
            """, connection, transaction) { Parameters = { new() { Value = streamId }, new() { Value = (long)events.Length } } })
            version = (long)(await stream.ExecuteScalarAsync())! - events.Length;
        foreach (var e in events)
        {
            Clock = Clock.AddSeconds(1);
            await using var insert = new NpgsqlCommand("""
                INSERT INTO events (event_id, stream_id, version, event_type, data, metadata, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, connection, transaction)
            {
                Parameters =
                {
                    new() { Value = Guid.CreateVersion7() },
                    new() { Value = streamId },
                    new() { Value = ++version },
                    new() { Value = e.GetType().Name },
                    new() { Value = JsonSerializer.Serialize(e, e.GetType(), Json), NpgsqlDbType = NpgsqlDbType.Jsonb },
                    new() { Value = JsonSerializer.Serialize(metadata, Json), NpgsqlDbType = NpgsqlDbType.Jsonb },
                    new() { Value = Clock },
                },
            };
            await insert.ExecuteNonQueryAsync();
        }
    }

    public sealed record Row(
        Guid EventId, long Position, ulong TransactionId, string StreamId, long Version, IDomainEvent Data, EventMetadata Metadata,
        DateTimeOffset CreatedAt, string DataJson);

    /// <summary>Every event, in the old store's global order (transaction_id, position).</summary>
    public async Task<IReadOnlyList<Row>> ReadAll()
    {
        await using var command = dataSource.CreateCommand("""
            SELECT event_id, position, transaction_id, stream_id, version, event_type, data::text, metadata::text, created_at
            FROM events ORDER BY transaction_id, position
            """);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Row>();
        while (await reader.ReadAsync())
            rows.Add(new Row(reader.GetGuid(0), reader.GetInt64(1), reader.GetFieldValue<ulong>(2), reader.GetString(3), reader.GetInt64(4),
                (IDomainEvent)JsonSerializer.Deserialize(reader.GetString(6), Types[reader.GetString(5)], Json)!,
                JsonSerializer.Deserialize<EventMetadata>(reader.GetString(7), Json)!, reader.GetFieldValue<DateTimeOffset>(8), reader.GetString(6)));
        return rows;
    }
}
