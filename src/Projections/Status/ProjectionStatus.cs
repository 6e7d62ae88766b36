using EventSourced.Projections.Streams;
using JasperFx.Events.Projections;
using Marten;
using Npgsql;

namespace EventSourced.Projections.Status;

/// <param name="Kind">inline (in the append's transaction), async (Marten's daemon) or subscription (the daemon too).</param>
/// <param name="Behind">Events in the log past what it has processed (inline: always 0).</param>
public sealed record ProjectionLag(string Name, string Kind, long Position, long Behind);

/// <summary>How far each projection and subscription is behind the log, from Marten's progression table.</summary>
public sealed class ProjectionStatus(IDocumentStore store, NpgsqlDataSource dataSource, IEnumerable<StreamView> views)
{
    /// <summary>The sequence number of the last event appended (0 for an empty log).</summary>
    private async Task<long> Head(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT coalesce(max(seq_id), 0) FROM {store.Options.DatabaseSchemaName}.mt_events");
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    public async Task<IReadOnlyList<ProjectionLag>> Read(CancellationToken ct = default)
    {
        var head = await Head(ct);
        var progress = (await store.Advanced.AllProjectionProgress(token: ct))
            .Where(s => s.ShardName != "HighWaterMark")
            .GroupBy(s => s.ShardName.Split(':')[0])
            .ToDictionary(g => g.Key, g => g.Min(s => s.Sequence));
        var inline = views.Where(v => v.Lifecycle == ProjectionLifecycle.Inline).Select(v => v.Name).ToHashSet();
        var names = views.Select(v => v.Name).Concat(progress.Keys).Distinct().Order(StringComparer.Ordinal);
        return names.Select(name => inline.Contains(name)
                ? new ProjectionLag(name, "inline", head, 0)
                : new ProjectionLag(name, views.Any(v => v.Name == name) ? "async" : "subscription",
                    progress.GetValueOrDefault(name), head - progress.GetValueOrDefault(name)))
            .ToList();
    }
}
