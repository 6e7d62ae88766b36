using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace EventSourced.Commands.EventStore;

public sealed partial class EventStore
{
    // Each append is one statement: a CTE moves the stream row to its new version and the events insert joins on what
    // that CTE returned. When the expected version does not hold, the CTE returns no row, so no event row is produced,
    // no identity value is drawn (a losing writer burns no position) and the caller's transaction is not aborted.
    // Concurrent writers of one stream serialize on the stream row: the UPDATE waits for the other writer's row lock,
    // then re-checks `version = $7` against the committed row; ON CONFLICT waits for an in-flight insert of the key.
    // UNIQUE (stream_id, version) on events stays as the backstop should the streams table ever disagree.
    private const string InsertEvents = """
        , appended AS (
            INSERT INTO events (event_id, stream_id, version, event_type, data, metadata)
            SELECT e.event_id, $1, stream.version - $2 + e.ordinal, e.event_type, e.data, $6
            FROM stream, unnest($3::uuid[], $4::text[], $5::jsonb[]) WITH ORDINALITY AS e(event_id, event_type, data, ordinal)
            ORDER BY e.ordinal
            RETURNING version
        )
        SELECT max(version) FROM appended
        """;

    private const string AppendToNewStream = """
        WITH stream AS (
            INSERT INTO streams (stream_id, version) VALUES ($1, $2)
            ON CONFLICT (stream_id) DO NOTHING
            RETURNING version
        )
        """ + InsertEvents;

    private const string AppendAtVersion = """
        WITH stream AS (
            UPDATE streams SET version = version + $2, updated_at = now()
            WHERE stream_id = $1 AND version = $7
            RETURNING version
        )
        """ + InsertEvents;

    private const string AppendAtAnyVersion = """
        WITH stream AS (
            INSERT INTO streams (stream_id, version) VALUES ($1, $2)
            ON CONFLICT (stream_id) DO UPDATE SET version = streams.version + excluded.version, updated_at = now()
            RETURNING version
        )
        """ + InsertEvents;

    public async Task<long> Append(
        string streamId, long expectedVersion, IReadOnlyList<IDomainEvent> events, EventMetadata metadata,
        CancellationToken ct = default)
    {
        await using var connection = await DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var version = await Append(connection, transaction, streamId, expectedVersion, events, metadata, ct);
        await transaction.CommitAsync(ct);
        NotifyAppended();
        return version;
    }

    public async Task<long> Append(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string streamId, long expectedVersion,
        IReadOnlyList<IDomainEvent> events, EventMetadata metadata, CancellationToken ct = default)
    {
        await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { AppendCommand(streamId, expectedVersion, events, metadata) } };
        return await ExecuteAppend(batch, ct) ?? throw new WrongExpectedVersionException(streamId, expectedVersion);
    }

    /// <summary>
    /// The append as one command of a batch the caller runs in its transaction, beside its own writes (an inbox record,
    /// inline views), so they all travel in one round trip. The command yields one row: the stream's new version, or
    /// null when <paramref name="expectedVersion"/> did not hold (nothing was appended; the caller rolls back).
    /// </summary>
    public NpgsqlBatchCommand AppendCommand(string streamId, long expectedVersion, IReadOnlyList<IDomainEvent> events, EventMetadata metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamId);
        ArgumentOutOfRangeException.ThrowIfLessThan(expectedVersion, StreamVersion.Any);
        if (events.Count == 0) throw new ArgumentException("An append needs at least one event.", nameof(events));

        var eventIds = new Guid[events.Count];
        var eventTypes = new string[events.Count];
        var data = new string[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            eventIds[i] = Guid.CreateVersion7();
            data[i] = Serialize(events[i], out eventTypes[i]);
        }

        var append = new NpgsqlBatchCommand(expectedVersion switch
        {
            StreamVersion.NoStream => AppendToNewStream,
            StreamVersion.Any => AppendAtAnyVersion,
            _ => AppendAtVersion,
        })
        {
            Parameters =
            {
                new() { Value = streamId },
                new() { Value = (long)events.Count },
                new() { Value = eventIds },
                new() { Value = eventTypes },
                new() { Value = data, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb },
                new() { Value = JsonSerializer.Serialize(metadata, Json), NpgsqlDbType = NpgsqlDbType.Jsonb },
            },
        };
        if (expectedVersion > 0) append.Parameters.Add(new() { Value = expectedVersion });
        return append;
    }

    /// <summary>
    /// Runs a batch whose first result is an <see cref="AppendCommand"/>'s: the stream's new version, or null when the
    /// expected version did not hold (a unique violation on the stream or event keys, another writer having got there
    /// first, counts the same; the transaction must then be rolled back).
    /// </summary>
    public static async Task<long?> ExecuteAppend(NpgsqlBatch batch, CancellationToken ct)
    {
        try
        {
            return await batch.ExecuteScalarAsync(ct) as long?;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation
                                           && e.ConstraintName is "events_stream_id_version_key" or "streams_pkey")
        {
            return null;
        }
    }
}
