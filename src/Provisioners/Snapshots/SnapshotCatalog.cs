using EventSourced.Commands.ServiceInstances;
using Marten;
using Marten.Events;

namespace EventSourced.Provisioners.Snapshots;

/// <summary>A snapshot as recorded: where its archive is, its size and checksum, until when it is kept, whether it was removed.</summary>
public sealed record SnapshotRecord(
    Guid SnapshotId, Guid InstanceId, Guid JobId, string Path, long SizeBytes, string Sha256, string SoftwareVersion,
    DateTimeOffset ExportedAt, DateTimeOffset ExpiresAt, string? Host, DateTimeOffset? RemovedAt);

/// <summary>
/// Snapshots read from the log (the <see cref="SnapshotExported"/> and <see cref="SnapshotExpired"/> events), on any node:
/// the events of those two types only, a few per export, read whole.
/// </summary>
public sealed class SnapshotCatalog(IDocumentStore store)
{
    public async Task<SnapshotRecord?> Find(Guid snapshotId, CancellationToken ct) =>
        (await All(ct)).FirstOrDefault(s => s.SnapshotId == snapshotId);

    /// <summary>Snapshots past their days to keep and not removed yet, oldest first (at most <paramref name="limit"/>).</summary>
    public async Task<IReadOnlyList<SnapshotRecord>> Expired(DateTimeOffset now, int limit, CancellationToken ct) =>
        (await All(ct)).Where(s => s.RemovedAt is null && s.ExpiresAt <= now).OrderBy(s => s.ExpiresAt).Take(limit).ToList();

    private async Task<IReadOnlyList<SnapshotRecord>> All(CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.EventTypesAre(typeof(SnapshotExported), typeof(SnapshotExpired)))
            .OrderBy(e => e.Sequence)
            .ToListAsync(ct);
        var removed = events.Select(e => e.Data).OfType<SnapshotExpired>().GroupBy(e => e.SnapshotId).ToDictionary(g => g.Key, g => g.First().RemovedAt);
        return events.Select(e => e.Data).OfType<SnapshotExported>().DistinctBy(e => e.SnapshotId)
            .Select(e => new SnapshotRecord(e.SnapshotId, e.InstanceId, e.OperationId, e.Path, e.SizeBytes, e.Sha256, e.SoftwareVersion, e.ExportedAt,
                e.ExpiresAt, e.Host, removed.TryGetValue(e.SnapshotId, out var at) ? at : null))
            .ToList();
    }
}
