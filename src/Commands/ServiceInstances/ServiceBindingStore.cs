using EventSourced.Commands.EventStore;
using Marten;
using Npgsql;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>Decisions on a binding's stream <c>service-binding-{id}</c>, each taken with its instance's current state.</summary>
public sealed class ServiceBindingStore(StreamStore streams)
{
    public async Task<ServiceBinding?> Load(Guid bindingId, CancellationToken ct = default) =>
        ServiceBinding.Fold((await streams.Read(ServiceBinding.StreamId(bindingId), ct)).Events);

    /// <summary>
    /// The instance is read in the binding's transaction after taking a share lock on its stream's row: an operation
    /// appended to the instance meanwhile (an update, a deprovision) waits for the bind to commit, or the bind waits for
    /// it and sees it. So "no new binding while the instance is busy or going away" holds at commit, across two streams.
    /// </summary>
    public Task<Decision> Handle(
        Guid instanceId, Guid bindingId, Func<ServiceInstance, ServiceBinding?, CancellationToken, Task<Decision>> decide,
        EventMetadata metadata, Deduplication? deduplication = null, CancellationToken ct = default) =>
        streams.Handle(ServiceBinding.StreamId(bindingId),
            async (events, session, token) => await decide(await HoldInstance(session, instanceId, token), ServiceBinding.Fold(events), token),
            metadata, deduplication, ct);

    /// <summary>A decision on the binding alone (a sub-provisioner recording the outcome of its own operation).</summary>
    public Task<Decision> Handle(
        Guid bindingId, Func<ServiceBinding?, Decision> decide, EventMetadata metadata, Deduplication? deduplication = null,
        CancellationToken ct = default) =>
        streams.Handle(ServiceBinding.StreamId(bindingId), events => decide(ServiceBinding.Fold(events)), metadata, deduplication, ct: ct);

    private static async Task<ServiceInstance> HoldInstance(IDocumentSession session, Guid instanceId, CancellationToken ct)
    {
        var streamKey = ServiceInstance.StreamId(instanceId);
        await session.BeginTransactionAsync(ct);
        await using (var hold = new NpgsqlCommand(
            $"SELECT 1 FROM {session.DocumentStore.Options.DatabaseSchemaName}.mt_streams WHERE id = $1 FOR SHARE", session.Connection))
        {
            hold.Parameters.Add(new NpgsqlParameter { Value = streamKey });
            await hold.ExecuteNonQueryAsync(ct);
        }
        return ServiceInstance.Fold((await session.Events.FetchStreamAsync(streamKey, token: ct)).Select(e => (IDomainEvent)e.Data));
    }
}
