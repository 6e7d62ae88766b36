using EventSourced.Commands.EventStore;
using EventSourced.Projections.Subscriptions;
using Npgsql;

namespace EventSourced.Projections.Tests;

/// <summary>
/// Toy projection: events per stream, plus one row per applied event with no unique key, so an event applied twice
/// shows up as a duplicate instead of being absorbed. A suffix makes another projection of the same kind, with its own
/// name and tables.
/// </summary>
public sealed class StreamEventCounts(string suffix = "") : IProjection
{
    public const string ProjectionName = "stream_event_counts";

    private int handleCalls;

    public string Name => ProjectionName + suffix;

    public string Schema => $"""
        CREATE TABLE IF NOT EXISTS stream_event_counts{suffix} (stream_id text PRIMARY KEY, events bigint NOT NULL);
        CREATE TABLE IF NOT EXISTS projected_events{suffix} (event_id uuid NOT NULL, stream_id text NOT NULL);
        """;

    public IReadOnlyList<string> Tables => [$"stream_event_counts{suffix}", $"projected_events{suffix}"];

    private string InsertEvents => $"INSERT INTO projected_events{suffix} (event_id, stream_id) SELECT * FROM unnest($1::uuid[], $2::text[])";

    private string UpsertCounts => $"""
        INSERT INTO stream_event_counts{suffix} AS c (stream_id, events)
        SELECT stream_id, count(*) FROM unnest($1::text[]) AS e(stream_id) GROUP BY stream_id
        ON CONFLICT (stream_id) DO UPDATE SET events = c.events + excluded.events
        """;

    /// <summary>1-based Handle calls that throw after writing their rows (each at most once).</summary>
    public HashSet<int> FailingCalls { get; } = [];

    public int BatchesApplied => Volatile.Read(ref handleCalls);

    public async Task Handle(IReadOnlyList<RecordedEvent> batch, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        var streamIds = batch.Select(e => e.StreamId).ToArray();
        await using var write = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new(InsertEvents) { Parameters = { new() { Value = batch.Select(e => e.EventId).ToArray() }, new() { Value = streamIds } } },
                new(UpsertCounts) { Parameters = { new() { Value = streamIds } } },
            },
        };
        await write.ExecuteNonQueryAsync(ct);
        var call = Interlocked.Increment(ref handleCalls);
        lock (FailingCalls)
        {
            if (FailingCalls.Remove(call)) throw new InvalidOperationException($"Handle call {call} fails on purpose");
        }
    }
}
