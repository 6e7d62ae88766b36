using EventSourced.Commands.EventStore;
using Npgsql;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>A read model kept in the same transaction as the append, so a read right after a command sees it.</summary>
public interface IServiceInstanceView
{
    Task Apply(NpgsqlConnection connection, NpgsqlTransaction transaction, ServiceInstance state, long version, CancellationToken ct);
}

/// <summary>Marks a message as handled by a consumer in the same transaction as the events it caused.</summary>
public sealed record Deduplication(string Consumer, Guid MessageId);

/// <summary>Runs a decision against a service instance's stream: load, decide, append with the inline views, commit.</summary>
public sealed class ServiceInstanceStore(EventStore.EventStore store, IEnumerable<IServiceInstanceView> views)
{
    private const int MaxAttempts = 5;

    public async Task<(ServiceInstance State, long Version)> Load(Guid instanceId, CancellationToken ct = default)
    {
        var events = await store.ReadStream(ServiceInstance.StreamId(instanceId), 1, ct);
        var state = ServiceInstance.Fold(events.Select(e => e.Data));
        return (state, events.Count == 0 ? StreamVersion.NoStream : events[^1].Version);
    }

    /// <summary>
    /// A concurrent append to the same stream makes the append fail on its expected version; the decision is then taken
    /// again on the new state (which may now say "already in progress" or refuse), never applied on a stale one.
    /// </summary>
    public async Task<Decision> Handle(
        Guid instanceId, Func<ServiceInstance, Decision> decide, EventMetadata metadata,
        Deduplication? deduplication = null, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (state, version) = await Load(instanceId, ct);
            var decision = decide(state);
            if (decision is not Decision.Accepted accepted) return decision;
            try
            {
                return await Append(instanceId, state, version, accepted, metadata, deduplication, ct);
            }
            catch (WrongExpectedVersionException) when (attempt < MaxAttempts)
            {
            }
        }
    }

    private async Task<Decision> Append(
        Guid instanceId, ServiceInstance state, long version, Decision.Accepted accepted, EventMetadata metadata,
        Deduplication? deduplication, CancellationToken ct)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (deduplication is not null
            && !await Inbox.TryRecord(connection, transaction, deduplication.Consumer, deduplication.MessageId, ct))
            return new Decision.AlreadyDone();
        var newVersion = await store.Append(connection, transaction, ServiceInstance.StreamId(instanceId), version,
            accepted.Events, metadata, ct);
        var newState = accepted.Events.Aggregate(state, ServiceInstance.Evolve);
        foreach (var view in views) await view.Apply(connection, transaction, newState, newVersion, ct);
        await transaction.CommitAsync(ct);
        await store.NotifyAppended(connection, ct);
        return accepted;
    }
}
