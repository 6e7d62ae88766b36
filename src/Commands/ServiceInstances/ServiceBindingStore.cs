using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>Decisions on a binding's stream <c>service-binding-{id}</c>, each taken with its instance's current state.</summary>
public sealed class ServiceBindingStore(StreamStore streams, ServiceInstanceStore instances)
{
    public async Task<ServiceBinding?> Load(Guid bindingId, CancellationToken ct = default) =>
        ServiceBinding.Fold((await streams.Read(ServiceBinding.StreamId(bindingId), ct)).Events);

    public Task<Decision> Handle(
        Guid instanceId, Guid bindingId, Func<ServiceInstance, ServiceBinding?, CancellationToken, Task<Decision>> decide,
        EventMetadata metadata, Deduplication? deduplication = null, CancellationToken ct = default) =>
        streams.Handle(ServiceBinding.StreamId(bindingId),
            async (events, token) => await decide((await instances.Load(instanceId, token)).State, ServiceBinding.Fold(events), token),
            metadata, deduplication, ct);
}
