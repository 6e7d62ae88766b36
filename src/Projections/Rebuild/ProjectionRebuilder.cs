using EventSourced.Commands.EventStore;
using EventSourced.Projections.Checkpoints;
using EventSourced.Projections.Subscriptions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventSourced.Projections.Rebuild;

/// <summary>
/// Empties projections and replays the log into them up to the head seen at the start. Every step holds the projection's
/// advisory lock, so a daemon running meanwhile (here or on another node) never double-applies: whichever holds the lock
/// applies the next batch from the checkpoint it finds, and after the reset that is the start of the log.
/// </summary>
public sealed class ProjectionRebuilder(
    EventStore store,
    CheckpointStore checkpoints,
    IEnumerable<IProjection> projections,
    IOptions<SubscriptionOptions> options,
    ILogger<ProjectionRebuilder> logger)
{
    /// <summary>The name that rebuilds every projection in one pass over the log.</summary>
    public const string All = "all";

    private readonly IReadOnlyDictionary<string, IProjection> projections = projections.ToDictionary(p => p.Name);

    public IReadOnlyCollection<string> Names => projections.Keys.ToList();

    /// <summary>Rebuilds the projection named <paramref name="name"/>, or every projection for <see cref="All"/>.</summary>
    /// <exception cref="UnknownProjectionException">No projection of that name is registered.</exception>
    public async Task Rebuild(string name, IProgress<RebuildProgress>? progress, CancellationToken ct)
    {
        IReadOnlyList<IProjection> targets = name == All
            ? [.. projections.Values]
            : [projections.GetValueOrDefault(name) ?? throw new UnknownProjectionException(name, projections.Keys)];
        await checkpoints.EnsureSchema(ct);
        foreach (var projection in targets) await ProjectionSchema.Create(store.DataSource, projection, ct);

        var total = await store.CountVisible(GlobalCursor.Start, ct);
        var head = await store.ReadHead(ct);
        foreach (var projection in targets) await Reset(projection, ct);
        logger.LogInformation("Rebuilding {Projections}: {Total} events up to {Head}", string.Join(", ", targets.Select(p => p.Name)), total, head);

        await using var reads = new SharedLogReads(store, head, targets.Count);
        var replays = targets.Select(projection => new ProjectionReplay(
            store, new SubscriptionRunner(store, checkpoints, projection, options.Value, logger, read: reads.ReadAll), options.Value, total,
            progress, logger)).ToList();
        foreach (var replay in replays) replay.Report();
        // In a round every projection applies its next batch in its own transaction, under its own lock, from its own
        // checkpoint; projections at the same checkpoint share the read.
        while (replays.Any(r => !r.Done)) await Task.WhenAll(replays.Where(r => !r.Done).Select(r => r.Step(head, ct)));
    }

    private async Task Reset(IProjection projection, CancellationToken ct)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await SubscriptionLock.Acquire(connection, transaction, projection.Name, ct);
        if (projection.Tables.Count > 0)
        {
            await using var truncate = new NpgsqlCommand($"TRUNCATE {string.Join(", ", projection.Tables)}", connection, transaction);
            await truncate.ExecuteNonQueryAsync(ct);
        }
        await checkpoints.Reset(connection, transaction, projection.Name, ct);
        await transaction.CommitAsync(ct);
    }
}
