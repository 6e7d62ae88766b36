using System.Diagnostics;
using EventSourced.Commands.EventStore;
using EventSourced.Projections.Streams;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventSourced.Projections.Rebuild;

/// <summary>
/// Recomputes read models from the log while the broker serves: stream by stream (pages of streams in key order), each
/// row replaced by the fold of its whole stream in one transaction per page. No row is ever removed or moved to an older
/// version, so last_operation and the dashboards answer throughout (Marten's own rebuild tears the table down first).
/// Views over the same streams share each page's read: `all` is one pass over the log.
/// </summary>
public sealed class StreamViewRebuilder(IDocumentStore store, NpgsqlDataSource dataSource, IEnumerable<StreamView> views, IOptions<EventStoreOptions> options)
{
    public const string All = "all";
    private const int StreamsPerPage = 1000;

    private readonly IReadOnlyDictionary<string, StreamView> views = views.ToDictionary(v => v.Name);

    public IReadOnlyCollection<string> Names => views.Keys.ToList();

    /// <exception cref="UnknownProjectionException">No projection of that name is registered.</exception>
    public async Task Rebuild(string name, IProgress<RebuildProgress>? progress, CancellationToken ct)
    {
        IReadOnlyList<StreamView> targets = name == All
            ? [.. views.Values]
            : [views.GetValueOrDefault(name) ?? throw new UnknownProjectionException(name, views.Keys)];
        foreach (var group in targets.GroupBy(v => v.StreamPrefix)) await Rebuild(group.Key, [.. group], progress, ct);
    }

    private async Task Rebuild(string prefix, IReadOnlyList<StreamView> targets, IProgress<RebuildProgress>? progress, CancellationToken ct)
    {
        var total = await CountEvents(prefix, ct);
        var clock = Stopwatch.StartNew();
        var processed = 0L;
        void Report() { foreach (var view in targets) progress?.Report(new RebuildProgress(view.Name, processed, total, processed / Math.Max(clock.Elapsed.TotalSeconds, 1e-3))); }
        Report();
        var after = "";
        while (true)
        {
            var keys = await StreamKeys(prefix, after, ct);
            if (keys.Count == 0) break;
            await using var session = store.LightweightSession();
            var streams = await StreamHistory.Load(session, keys, [], ct);
            foreach (var view in targets) view.Write(session, streams);
            await session.SaveChangesAsync(ct);
            processed += streams.Values.Sum(events => events.Count);
            after = keys[^1];
            Report();
        }
    }

    private async Task<long> CountEvents(string prefix, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT coalesce(sum(version), 0)::bigint FROM {options.Value.Schema}.mt_streams WHERE id LIKE $1 || '%'");
        command.Parameters.Add(new NpgsqlParameter { Value = prefix });
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task<IReadOnlyList<string>> StreamKeys(string prefix, string after, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT id FROM {options.Value.Schema}.mt_streams WHERE id LIKE $1 || '%' AND id > $2 ORDER BY id LIMIT $3");
        command.Parameters.Add(new NpgsqlParameter { Value = prefix });
        command.Parameters.Add(new NpgsqlParameter { Value = after });
        command.Parameters.Add(new NpgsqlParameter { Value = StreamsPerPage });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var keys = new List<string>();
        while (await reader.ReadAsync(ct)) keys.Add(reader.GetString(0));
        return keys;
    }
}
