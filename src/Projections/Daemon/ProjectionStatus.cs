using EventSourced.Commands.EventStore;
using EventSourced.Projections.Checkpoints;
using EventSourced.Projections.Subscriptions;

namespace EventSourced.Projections.Daemon;

/// <param name="Behind">Events visible in the log past the checkpoint.</param>
/// <param name="UpdatedAt">Null until the subscription has applied its first batch.</param>
public sealed record SubscriptionStatus(string Name, GlobalCursor Checkpoint, long Behind, DateTimeOffset? UpdatedAt);

/// <summary>How far each registered subscription is, for an ops endpoint.</summary>
public sealed class ProjectionStatus(EventStore store, CheckpointStore checkpoints, IEnumerable<IEventSubscription> subscriptions)
{
    public async Task<IReadOnlyList<SubscriptionStatus>> Read(CancellationToken ct = default)
    {
        var stored = await checkpoints.LoadAll(ct);
        var statuses = new List<SubscriptionStatus>();
        foreach (var name in subscriptions.Select(s => s.Name).Order(StringComparer.Ordinal))
        {
            var checkpoint = stored.GetValueOrDefault(name);
            var cursor = checkpoint?.Cursor ?? GlobalCursor.Start;
            statuses.Add(new SubscriptionStatus(name, cursor, await store.CountVisible(cursor, ct), checkpoint?.UpdatedAt));
        }
        return statuses;
    }
}
