using System.Diagnostics;
using System.Text.Json;
using EventSourced.Commands.ServiceInstances;
using JasperFx.Events.Projections;
using Marten;
using Marten.Services;
using Npgsql;
using NpgsqlTypes;

namespace EventSourced.Commands.EventStore.Legacy;

public enum EventMigrationOutcome
{
    /// <summary>The old events were copied now.</summary>
    Copied,

    /// <summary>Marten already held exactly the old events (an earlier run copied them); nothing was copied.</summary>
    AlreadyMigrated,

    /// <summary>There are no old events.</summary>
    NothingToMigrate,
}

/// <summary>What <see cref="LegacyEventStore.Migrate"/> did; <see cref="ToString"/> is the line the operator reads.</summary>
public sealed record EventMigrationReport(
    EventMigrationOutcome Outcome, long Events, int Streams, int InstanceStreams, int BindingStreams, long MovedBindingEvents,
    int Checkpoints, long InboxEntries, TimeSpan Elapsed, string Summary)
{
    public bool Copied => Outcome == EventMigrationOutcome.Copied;

    public override string ToString() => Summary;
}

/// <summary>The migration cannot run on this database as it is (nothing was changed).</summary>
public sealed class EventMigrationRefusedException(string message) : Exception(message);

// How the copy works, and why not through Marten's append API:
// - Marten's sessions stamp every event with the append's own time, and mt_streams.created/timestamp are written by
//   column defaults (Writes = false in StreamsTable): an append cannot keep the old timestamps of the streams, and would
//   need one session per stream version to keep the old global order. BulkInsertEventStreamAsync (COPY) keeps event
//   timestamps and order but also leaves mt_streams.created/timestamp at now() and commits in a transaction of its own,
//   apart from the checkpoints and inbox entries that must move with the events.
// - So the rows are written here, the way Marten's own BulkEventAppender writes them: seq_id drawn from Marten's
//   mt_events_sequence in the old global order (transaction_id, position), data serialized by Marten's serializer,
//   type and mt_dotnet_type from Marten's event mappings, metadata in Marten's correlation_id/causation_id/headers
//   columns, the HighWaterMark progression row moved past the copied events. All in ONE transaction that first locks
//   Marten's event tables: it commits whole or not at all, and a second run finds the events and copies nothing.
public sealed partial class LegacyEventStore
{
    private const int ChunkSize = 1000;

    /// <summary>The old store's JSON: System.Text.Json web defaults (camelCase, enums as numbers).</summary>
    private static readonly JsonSerializerOptions OldJson = new(JsonSerializerDefaults.Web);

    private static readonly string[] BindingEventNames =
    [
        nameof(ServiceBindingRequested), nameof(ServiceBindingCreated), nameof(ServiceBindingFailed),
        nameof(ServiceBindingDeletionRequested), nameof(ServiceBindingDeleted), nameof(ServiceBindingDeletionFailed),
    ];

    /// <summary>The binding an event of the old store belongs to (it was recorded in its instance's stream), or null.</summary>
    public static Guid? BindingOf(IDomainEvent e) => e switch
    {
        ServiceBindingRequested b => b.BindingId,
        ServiceBindingCreated b => b.BindingId,
        ServiceBindingFailed b => b.BindingId,
        ServiceBindingDeletionRequested b => b.BindingId,
        ServiceBindingDeleted b => b.BindingId,
        ServiceBindingDeletionFailed b => b.BindingId,
        _ => null,
    };

    /// <summary>
    /// Copies every event of <c>public.events</c> into Marten's event store, in the old global order, then its
    /// subscription checkpoints and inbox. One transaction; when Marten already holds these events nothing is copied.
    /// Read models are not rebuilt here (the caller does: the projections live in another assembly).
    /// </summary>
    /// <exception cref="EventMigrationRefusedException">Marten's store holds events that are not the old store's.</exception>
    public async Task<EventMigrationReport> Migrate(TextWriter progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        if (!await Exists("public.events", ct))
            return Skipped(EventMigrationOutcome.NothingToMigrate, clock, "There is no table public.events (the previous event store) in this database: nothing to migrate.");

        progress.WriteLine($"Applying Marten's schema ({Schema}).");
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();

        await using var write = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await write.BeginTransactionAsync(ct);
        // Appends (a broker started anyway) and a second migration wait for this one to commit, then see its events.
        await Execute(write, transaction, $"LOCK TABLE {Schema}.mt_streams, {Schema}.mt_events IN EXCLUSIVE MODE", ct);

        var total = await Scalar<long>(write, transaction, "SELECT count(*) FROM public.events", ct);
        var existing = await Scalar<long>(write, transaction, $"SELECT count(*) FROM {MartenEvents}", ct);
        if (existing > 0)
        {
            var already = await Scalar<long>(write, transaction,
                $"SELECT count(*) FROM public.events o WHERE EXISTS (SELECT FROM {MartenEvents} m WHERE m.id = o.event_id)", ct);
            if (already == total)
                return Skipped(EventMigrationOutcome.AlreadyMigrated, clock, $"Marten's event store ({MartenEvents}) already holds the {total} events of public.events " +
                                      "(migrated before): nothing copied.");
            throw new EventMigrationRefusedException(
                $"Marten's event store ({MartenEvents}) already holds {existing} events, and {total - already} of the {total} " +
                "events of public.events are not among them. Copying them now would put them after events recorded later; " +
                "nothing was changed. Migrate into an empty Marten event store.");
        }
        if (total == 0) return Skipped(EventMigrationOutcome.NothingToMigrate, clock, "public.events holds no events: nothing to migrate.");

        progress.WriteLine($"Copying {total} events of public.events into {MartenEvents} in their old global order (transaction_id, position), " +
                           "keeping event ids, timestamps and metadata.");
        progress.WriteLine("Bindings now have streams of their own: each binding event moves from its instance's stream " +
                           "service-instance-{id} to service-binding-{bindingId} (versions 1..n per binding stream, global order kept); " +
                           "instance streams keep only instance events, renumbered 1..n in their old order.");

        var streams = await CreateStreams(write, transaction, ct);
        var instanceStreams = streams.Count(s => s.StartsWith(ServiceInstance.StreamPrefix, StringComparison.Ordinal));
        var bindingStreams = streams.Count(s => s.StartsWith(ServiceBinding.StreamPrefix, StringComparison.Ordinal));
        progress.WriteLine($"Created {streams.Count} streams in {Schema}.mt_streams ({instanceStreams} instance, {bindingStreams} binding" +
                           $"{(streams.Count > instanceStreams + bindingStreams ? $", {streams.Count - instanceStreams - bindingStreams} other" : "")}).");

        var (copied, moved, lastSequence) = await CopyEvents(write, transaction, total, progress, ct);
        if (copied != total)
            throw new InvalidOperationException($"public.events changed during the migration ({total} events counted, {copied} read); nothing was changed.");

        await Execute(write, transaction, $"""
            INSERT INTO {Schema}.mt_event_progression (name, last_seq_id) VALUES ('{ShardState.HighWaterMark}', {lastSequence})
            ON CONFLICT (name) DO UPDATE SET last_seq_id = GREATEST({Schema}.mt_event_progression.last_seq_id, excluded.last_seq_id)
            """, ct);
        var checkpoints = await CopyCheckpoints(write, transaction, progress, ct);
        var inbox = await CopyInbox(transaction, progress, ct);
        await transaction.CommitAsync(ct);

        var summary = $"Copied {copied} events into {streams.Count} Marten streams ({instanceStreams} instance, {bindingStreams} binding; " +
                      $"{moved} binding events moved out of their instance streams), {checkpoints} subscription checkpoints and " +
                      $"{inbox} inbox entries in {clock.Elapsed.TotalSeconds:0.0} s. The old tables are kept.";
        return new EventMigrationReport(EventMigrationOutcome.Copied, copied, streams.Count, instanceStreams, bindingStreams, moved, checkpoints, inbox, clock.Elapsed, summary);
    }

    private static EventMigrationReport Skipped(EventMigrationOutcome outcome, Stopwatch clock, string summary) =>
        new(outcome, 0, 0, 0, 0, 0, 0, 0, clock.Elapsed, summary);

    /// <summary>The stream each old event goes to: its binding's own stream for a binding event, else its old stream.</summary>
    private const string Targets = """
        SELECT *, CASE WHEN event_type = ANY($1) THEN 'service-binding-' || (data->>'bindingId') ELSE stream_id END AS target
        FROM public.events
        """;

    private async Task<IReadOnlyList<string>> CreateStreams(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        // Marten's appends leave type null (no aggregate type is declared); created/timestamp: first and last event's time.
        await using var command = new NpgsqlCommand($"""
            INSERT INTO {Schema}.mt_streams (id, version, timestamp, created)
            SELECT target, count(*), max(created_at), min(created_at) FROM ({Targets}) e GROUP BY target
            RETURNING id
            """, connection, transaction) { Parameters = { new() { Value = BindingEventNames } } };
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            ids.Add(reader.IsDBNull(0) ? throw new InvalidOperationException("A binding event of public.events has no bindingId; nothing was changed.") : reader.GetString(0));
        return ids;
    }

    private sealed record EventTypeMapping(Type Type, string EventTypeName, string DotNetTypeName);

    private async Task<(long Copied, long Moved, long LastSequence)> CopyEvents(
        NpgsqlConnection write, NpgsqlTransaction transaction, long total, TextWriter progress, CancellationToken ct)
    {
        var serializer = store.Options.Serializer();
        var mappings = store.Options.Events.AllKnownEventTypes()
            .Where(t => typeof(IDomainEvent).IsAssignableFrom(t.EventType))
            .ToDictionary(t => t.EventType.Name, t => new EventTypeMapping(t.EventType, t.EventTypeName, t.DotNetTypeName), StringComparer.Ordinal);

        // Read on a connection of its own, streamed; written in chunks on the migration's transaction. Versions: the
        // event's rank by old version among the events going to the same stream (an old stream's version order is its
        // fold order, which the global order need not follow exactly).
        await using var read = await dataSource.OpenConnectionAsync(ct);
        await using var select = new NpgsqlCommand($"""
            SELECT event_id, stream_id, event_type, data::text, metadata::text, created_at, target,
                   row_number() OVER (PARTITION BY target ORDER BY version) AS new_version
            FROM ({Targets}) e
            ORDER BY transaction_id, position
            """, read) { Parameters = { new() { Value = BindingEventNames } } };
        await using var reader = await select.ExecuteReaderAsync(ct);

        var chunk = new List<MigratedEvent>(ChunkSize);
        long copied = 0, moved = 0, lastSequence = 0, reported = 0;
        while (await reader.ReadAsync(ct))
        {
            var eventId = reader.GetGuid(0);
            var oldStream = reader.GetString(1);
            var eventType = reader.GetString(2);
            var createdAt = reader.GetFieldValue<DateTimeOffset>(5);
            var target = reader.GetString(6);
            if (!mappings.TryGetValue(eventType, out var mapping))
                throw new InvalidOperationException($"Event {eventId} of {oldStream} has type '{eventType}', which this broker does not know; nothing was changed.");
            var data = JsonSerializer.Deserialize(reader.GetString(3), mapping.Type, OldJson) as IDomainEvent
                       ?? throw new InvalidOperationException($"Event {eventId} of {oldStream} has no data; nothing was changed.");
            var expected = BindingOf(data) is { } binding ? ServiceBinding.StreamId(binding) : oldStream;
            if (expected != target)
                throw new InvalidOperationException($"Event {eventId} of {oldStream} belongs to {expected}, not {target}; nothing was changed.");
            if (target != oldStream) moved++;
            var metadata = JsonSerializer.Deserialize<EventMetadata>(reader.GetString(4), OldJson)
                           ?? throw new InvalidOperationException($"Event {eventId} of {oldStream} has no metadata; nothing was changed.");
            var headers = new Dictionary<string, object>();
            if (metadata.OriginatingIdentity is not null) headers[EventMetadata.OriginatingIdentityHeader] = metadata.OriginatingIdentity;
            if (metadata.RequestIdentity is not null) headers[EventMetadata.RequestIdentityHeader] = metadata.RequestIdentity;

            chunk.Add(new MigratedEvent(eventId, target, reader.GetInt64(7), serializer.ToJson(data), mapping.EventTypeName,
                mapping.DotNetTypeName, createdAt, metadata.CorrelationId.ToString(), metadata.CausationId?.ToString(),
                headers.Count == 0 ? null : serializer.ToJson(headers)));
            if (chunk.Count == ChunkSize)
            {
                lastSequence = await Insert(write, transaction, chunk, ct);
                copied += chunk.Count;
                chunk.Clear();
                if (copied - reported >= 10 * ChunkSize)
                {
                    progress.WriteLine($"  {copied} / {total} events");
                    reported = copied;
                }
            }
        }
        if (chunk.Count > 0)
        {
            lastSequence = await Insert(write, transaction, chunk, ct);
            copied += chunk.Count;
        }
        progress.WriteLine($"Copied {copied} events (seq_id up to {lastSequence}); {moved} binding events moved to their binding's stream.");
        return (copied, moved, lastSequence);
    }

    private sealed record MigratedEvent(
        Guid Id, string StreamId, long Version, string Data, string Type, string DotNetType, DateTimeOffset Timestamp,
        string CorrelationId, string? CausationId, string? Headers);

    /// <summary>Inserts a chunk with sequence numbers drawn from Marten's sequence, ascending in the chunk's order; returns the last.</summary>
    private async Task<long> Insert(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<MigratedEvent> events, CancellationToken ct)
    {
        var sequences = new List<long>(events.Count);
        await using (var next = new NpgsqlCommand($"SELECT nextval('{Schema}.mt_events_sequence') FROM generate_series(1, $1)", connection, transaction)
                     { Parameters = { new() { Value = events.Count } } })
        await using (var reader = await next.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) sequences.Add(reader.GetInt64(0));
        sequences.Sort();

        // tenant_id and is_archived take Marten's column defaults (*DEFAULT*, false), as its appends leave them.
        await using var insert = new NpgsqlCommand($"""
            INSERT INTO {Schema}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, mt_dotnet_type, correlation_id, causation_id, headers)
            SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::varchar[], $4::bigint[], $5::jsonb[], $6::varchar[], $7::timestamptz[],
                                 $8::varchar[], $9::varchar[], $10::varchar[], $11::jsonb[])
            """, connection, transaction)
        {
            Parameters =
            {
                new() { Value = sequences.ToArray() },
                new() { Value = events.Select(e => e.Id).ToArray() },
                new() { Value = events.Select(e => e.StreamId).ToArray() },
                new() { Value = events.Select(e => e.Version).ToArray() },
                new() { Value = events.Select(e => e.Data).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                new() { Value = events.Select(e => e.Type).ToArray() },
                new() { Value = events.Select(e => e.Timestamp.ToUniversalTime()).ToArray() },
                new() { Value = events.Select(e => e.DotNetType).ToArray() },
                new() { Value = events.Select(e => e.CorrelationId).ToArray() },
                new() { Value = events.Select(e => e.CausationId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                new() { Value = events.Select(e => e.Headers).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
            },
        };
        await insert.ExecuteNonQueryAsync(ct);
        return sequences[^1];
    }

    /// <summary>
    /// The old subscriptions' checkpoints (bus-forwarder, dfe-integration-events, instance-directory) become Marten
    /// progression rows ("{name}:All") at the last copied event they had passed, so the bus forwarder and the integration
    /// publisher go on where they stopped instead of publishing the whole history again. Inline projections have none.
    /// </summary>
    private async Task<int> CopyCheckpoints(NpgsqlConnection connection, NpgsqlTransaction transaction, TextWriter progress, CancellationToken ct)
    {
        if (!await Exists("public.subscription_checkpoints", ct)) return 0;
        var inline = store.Options.Events.Projections().Where(p => p.Lifecycle == ProjectionLifecycle.Inline).Select(p => p.Name).ToHashSet();
        var rows = new List<(string Name, long Sequence)>();
        await using (var select = new NpgsqlCommand($"""
            SELECT c.name, coalesce((SELECT max(m.seq_id) FROM {MartenEvents} m JOIN public.events o ON o.event_id = m.id
                                     WHERE (o.transaction_id, o.position) <= (c.transaction_id, c.position)), 0)
            FROM public.subscription_checkpoints c ORDER BY c.name
            """, connection, transaction))
        await using (var reader = await select.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) rows.Add((reader.GetString(0), reader.GetInt64(1)));

        var copied = 0;
        foreach (var (name, sequence) in rows)
        {
            if (inline.Contains(name)) continue;
            var shard = new ShardName(name, "All", 1).Identity;
            await using var upsert = new NpgsqlCommand($"""
                INSERT INTO {Schema}.mt_event_progression (name, last_seq_id) VALUES ($1, $2)
                ON CONFLICT (name) DO UPDATE SET last_seq_id = excluded.last_seq_id
                """, connection, transaction) { Parameters = { new() { Value = shard }, new() { Value = sequence } } };
            await upsert.ExecuteNonQueryAsync(ct);
            progress.WriteLine($"Checkpoint {name} -> progression {shard} at seq_id {sequence}.");
            copied++;
        }
        return copied;
    }

    /// <summary>The consumers' inbox (message ids already handled) becomes Marten's inbox documents, so a redelivery stays a no-op.</summary>
    private async Task<long> CopyInbox(NpgsqlTransaction transaction, TextWriter progress, CancellationToken ct)
    {
        if (!await Exists("public.inbox", ct)) return 0;
        await using var read = await dataSource.OpenConnectionAsync(ct);
        await using var select = new NpgsqlCommand("SELECT consumer, message_id, processed_at FROM public.inbox ORDER BY processed_at", read);
        await using var reader = await select.ExecuteReaderAsync(ct);
        var chunk = new List<InboxEntry>(ChunkSize);
        long copied = 0;
        while (await reader.ReadAsync(ct))
        {
            chunk.Add(InboxEntry.For(reader.GetString(0), reader.GetGuid(1), reader.GetFieldValue<DateTimeOffset>(2)));
            if (chunk.Count == ChunkSize) copied += await Store(chunk);
        }
        if (chunk.Count > 0) copied += await Store(chunk);
        progress.WriteLine($"Copied {copied} inbox entries.");
        return copied;

        async Task<int> Store(List<InboxEntry> entries)
        {
            await using var session = store.LightweightSession(SessionOptions.ForTransaction(transaction));
            session.Store(entries.ToArray());
            await session.SaveChangesAsync(ct);
            var count = entries.Count;
            entries.Clear();
            return count;
        }
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T> Scalar<T>(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        return (T)(await command.ExecuteScalarAsync(ct))!;
    }
}
