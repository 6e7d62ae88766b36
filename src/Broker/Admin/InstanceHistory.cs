using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Clusters;
using Marten;

namespace EventSourced.Broker.Admin;

/// <summary>
/// One recorded event of an instance as operators see it: what, when, why, and in a sentence what it did; never its data
/// (it may hold secrets).
/// </summary>
public sealed record HistoryEntry(
    long Version, string Type, DateTimeOffset RecordedAt, Guid CorrelationId, Guid? CausationId, string? RequestIdentity, string? OriginatingIdentity,
    string Description);

/// <summary>The instance as it was at a version or a time, without anything secret; its name is the platform context's.</summary>
public sealed record InstanceAsOf(
    Guid InstanceId, long Version, DateTimeOffset RecordedAt, string Status, string ServiceId, string PlanId, string? Parameters,
    string? MaintenanceVersion, int DiskMb, StorageInfo? Storage, ServerInfo? Server, string? Database, IReadOnlyList<Operation> Operations,
    DateTimeOffset? CreatedAt, DateTimeOffset? UpdatedAt, InstanceShape Shape, Guid? ClusterId, string? Name);

/// <summary>Time travel over an instance's stream: its history, and its state as of a version or a moment.</summary>
public sealed class InstanceHistory(IDocumentStore store)
{
    public async Task<IReadOnlyList<HistoryEntry>> Events(Guid instanceId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var events = await session.Events.FetchStreamAsync(ServiceInstance.StreamId(instanceId), token: ct);
        // Folded along, so each entry can say what its event did in the words last_operation uses.
        var state = ServiceInstance.Initial;
        return events.Select(e =>
        {
            var metadata = EventMetadata.Of(e);
            var before = state;
            state = ServiceInstance.Evolve(state, (IDomainEvent)e.Data);
            return new HistoryEntry(e.Version, e.Data.GetType().Name, e.Timestamp, metadata.CorrelationId, metadata.CausationId,
                metadata.RequestIdentity, metadata.OriginatingIdentity, HistoryDescriptions.Of((IDomainEvent)e.Data, before, state));
        }).ToList();
    }

    /// <summary>Null when the stream had no event yet at that version or time.</summary>
    public async Task<InstanceAsOf?> AsOf(Guid instanceId, long? version, DateTimeOffset? at, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var events = await session.Events.FetchStreamAsync(ServiceInstance.StreamId(instanceId), version ?? 0, at, token: ct);
        if (events.Count == 0) return null;
        var state = ServiceInstance.Fold(events.Select(e => (IDomainEvent)e.Data));
        return new InstanceAsOf(instanceId, events[^1].Version, events[^1].Timestamp, state.Status.ToString(), state.ServiceId, state.PlanId,
            state.Parameters, state.MaintenanceVersion, state.DiskMb, state.Storage, state.Server, state.Database?.Database, state.Operations,
            state.CreatedAt, state.UpdatedAt, state.Shape, state.ClusterId, PlatformContext.Of(state.Context).InstanceName);
    }
}
