using EventSourced.Commands.EventStore;
using Npgsql;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>A read model kept in the same transaction as the append, so a read right after a command sees it.</summary>
public interface IServiceInstanceView
{
    /// <summary>The write of the instance's new state, sent in the append's batch (rolled back with it when it loses).</summary>
    NpgsqlBatchCommand Write(ServiceInstance state, long version);
}

/// <summary>Marks a message as handled by a consumer in the same transaction as the events it caused.</summary>
public sealed record Deduplication(string Consumer, Guid MessageId);

/// <summary>Runs a decision against a service instance's stream: load, decide, append with the inline views, commit.</summary>
public sealed class ServiceInstanceStore(EventStore.EventStore store, IEnumerable<IServiceInstanceView> views)
{
    private const int MaxAttempts = 5;

    public async Task<(ServiceInstance State, long Version)> Load(Guid instanceId, CancellationToken ct = default)
    {
        var (events, version) = await store.LoadStream(ServiceInstance.StreamId(instanceId), ct);
        return (ServiceInstance.Fold(events), version);
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

    // One round trip before the commit: the inbox record, the append and the inline views travel as one batch. When the
    // message was handled before or the expected version no longer holds, the transaction is rolled back, taking the
    // views' writes with it.
    private async Task<Decision> Append(
        Guid instanceId, ServiceInstance state, long version, Decision.Accepted accepted, EventMetadata metadata,
        Deduplication? deduplication, CancellationToken ct)
    {
        var streamId = ServiceInstance.StreamId(instanceId);
        var newState = accepted.Events.Aggregate(state, ServiceInstance.Evolve);
        await using var connection = await store.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var batch = new NpgsqlBatch(connection, transaction);
        var inbox = deduplication is null ? null : Inbox.RecordCommand(deduplication.Consumer, deduplication.MessageId);
        if (inbox is not null) batch.BatchCommands.Add(inbox);
        batch.BatchCommands.Add(store.AppendCommand(streamId, version, accepted.Events, metadata));
        var newVersion = version + accepted.Events.Count;
        foreach (var view in views) batch.BatchCommands.Add(view.Write(newState, newVersion));

        var appended = await EventStore.EventStore.ExecuteAppend(batch, ct);
        if (inbox is { RecordsAffected: 0 }) return new Decision.AlreadyDone();
        if (appended is null) throw new WrongExpectedVersionException(streamId, version);
        await transaction.CommitAsync(ct);
        store.NotifyAppended();
        return accepted;
    }
}
