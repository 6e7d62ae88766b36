using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>Decisions on a service instance's stream <c>service-instance-{id}</c>.</summary>
public sealed class ServiceInstanceStore(StreamStore streams)
{
    public async Task<(ServiceInstance State, long Version)> Load(Guid instanceId, CancellationToken ct = default)
    {
        var (events, version) = await streams.Read(ServiceInstance.StreamId(instanceId), ct);
        return (ServiceInstance.Fold(events), version);
    }

    public Task<Decision> Handle(
        Guid instanceId, Func<ServiceInstance, Decision> decide, EventMetadata metadata,
        Deduplication? deduplication = null, CancellationToken ct = default) =>
        streams.Handle(ServiceInstance.StreamId(instanceId), events => decide(ServiceInstance.Fold(events)), metadata, deduplication, ct);

    /// <summary>With the stream's row locked first (see <see cref="StreamStore.HandleExclusively"/>): a deprovision among attachments.</summary>
    public Task<Decision> HandleExclusively(Guid instanceId, Func<ServiceInstance, Decision> decide, EventMetadata metadata, CancellationToken ct = default) =>
        streams.HandleExclusively(ServiceInstance.StreamId(instanceId), (events, _, _) => Task.FromResult(decide(ServiceInstance.Fold(events))),
            metadata, ct);
}
