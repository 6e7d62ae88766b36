using System.Diagnostics;
using EventSourced.Commands.EventStore;
using EventSourced.Projections.Checkpoints;
using EventSourced.Projections.Subscriptions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventSourced.Projections.Rebuild;

/// <summary>
/// Empties a projection and replays the log into it up to the head seen at the start. Every step holds the projection's
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
    private readonly IReadOnlyDictionary<string, IProjection> projections = projections.ToDictionary(p => p.Name);

    public IReadOnlyCollection<string> Names => projections.Keys.ToList();

    /// <exception cref="UnknownProjectionException">No projection of that name is registered.</exception>
    public async Task Rebuild(string name, IProgress<RebuildProgress>? progress, CancellationToken ct)
    {
        var projection = projections.GetValueOrDefault(name) ?? throw new UnknownProjectionException(name, projections.Keys);
        await checkpoints.EnsureSchema(ct);
        await ProjectionSchema.Create(store.DataSource, projection, ct);

        var total = await store.CountVisible(GlobalCursor.Start, ct);
        var head = await store.ReadHead(ct);
        await Reset(projection, ct);
        logger.LogInformation("Rebuilding {Projection}: {Total} events up to {Head}", name, total, head);

        var runner = new SubscriptionRunner(store, checkpoints, projection, options.Value, logger);
        var stopwatch = Stopwatch.StartNew();
        var processed = 0L;
        var known = GlobalCursor.Start;
        progress?.Report(new RebuildProgress(name, 0, total, 0));
        while (true)
        {
            var result = await runner.RunBatchOrConflict(upTo: head, ct);
            if (result is null) continue;
            if (result.Value.Outcome == BatchOutcome.Locked)
            {
                await Task.Delay(options.Value.LockRetryDelay, ct);
                continue;
            }

            var (outcome, from, to, count) = result.Value;
            if (from != known) processed += await CountBetween(known, from, ct);
            if (outcome == BatchOutcome.CaughtUp) break;
            processed += count;
            known = to;
            progress?.Report(new RebuildProgress(name, processed, total, processed / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-3)));
        }
        progress?.Report(new RebuildProgress(name, processed, total, processed / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-3)));
        logger.LogInformation("Rebuilt {Projection}: {Processed} events in {Elapsed}", name, processed, stopwatch.Elapsed);
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

    // Another runner applied the events in (from, to]. Both cursors came out of ReadAll, so every transaction up to
    // them has finished: that range no longer changes, and events becoming visible meanwhile all sort after `to`, so
    // they are in both counts. Each count has its own snapshot, though: the difference is exact only when nothing new
    // became visible between them, which the repeated count of `to` confirms.
    private async Task<long> CountBetween(GlobalCursor from, GlobalCursor to, CancellationToken ct)
    {
        var afterFrom = 0L;
        var afterTo = await store.CountVisible(to, ct);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            afterFrom = await store.CountVisible(from, ct);
            var again = await store.CountVisible(to, ct);
            if (again == afterTo) break;
            afterTo = again;
        }
        return Math.Max(0, afterFrom - afterTo);
    }
}
