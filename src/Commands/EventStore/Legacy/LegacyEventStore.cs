using Marten;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventSourced.Commands.EventStore.Legacy;

/// <summary>
/// The broker's previous, hand-written event store (tables <c>public.events</c> and <c>public.streams</c>). Its events
/// are copied into Marten once by <c>db migrate-events</c>; its tables are kept until the operator drops them.
/// </summary>
public sealed partial class LegacyEventStore(NpgsqlDataSource dataSource, IDocumentStore store, IOptions<EventStoreOptions> options)
{
    private string Schema => options.Value.Schema;

    private string MartenEvents => $"{Schema}.mt_events";

    /// <summary>True when the old tables hold events and Marten's log has none: starting the broker would hide them.</summary>
    public async Task<bool> NeedsMigration(CancellationToken ct) =>
        await HasRows("public.events", ct) && !await HasRows(MartenEvents, ct);

    private async Task<bool> HasRows(string table, CancellationToken ct)
    {
        if (!await Exists(table, ct)) return false;
        await using var any = dataSource.CreateCommand($"SELECT EXISTS (SELECT FROM {table})");
        return (bool)(await any.ExecuteScalarAsync(ct))!;
    }

    private async Task<bool> Exists(string table, CancellationToken ct)
    {
        await using var exists = dataSource.CreateCommand("SELECT to_regclass($1) IS NOT NULL");
        exists.Parameters.Add(new NpgsqlParameter { Value = table });
        return (bool)(await exists.ExecuteScalarAsync(ct))!;
    }
}
