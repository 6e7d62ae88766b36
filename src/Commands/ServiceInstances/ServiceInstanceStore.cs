using EventSourced.Commands.EventStore;
using JasperFx.Events;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>Decisions on a service instance's stream <c>service-instance-{id}</c>.</summary>
public sealed class ServiceInstanceStore(StreamStore streams)
{
    public async Task<(ServiceInstance State, long Version)> Load(Guid instanceId, CancellationToken ct = default)
    {
        var (events, version) = await streams.Read(ServiceInstance.StreamId(instanceId), ct);
        return (ServiceInstance.Fold(events), version);
    }

    /// <summary>The instance with the stream it was folded from, for a decision taken on it later (<see cref="Handle"/>'s <c>read</c>).</summary>
    public async Task<(ServiceInstance State, IReadOnlyList<IEvent> Read)> LoadForDecision(Guid instanceId, CancellationToken ct = default)
    {
        var read = await streams.ReadStored(ServiceInstance.StreamId(instanceId), ct);
        return (ServiceInstance.Fold(read.Select(e => (IDomainEvent)e.Data)), read);
    }

    /// <param name="read">The stream as read a moment ago (<see cref="LoadForDecision"/>): decided on first, instead of reading it again.</param>
    public Task<Decision> Handle(
        Guid instanceId, Func<ServiceInstance, Decision> decide, EventMetadata metadata,
        Deduplication? deduplication = null, CancellationToken ct = default, IReadOnlyList<IEvent>? read = null) =>
        streams.Handle(ServiceInstance.StreamId(instanceId), events => decide(ServiceInstance.Fold(events)), metadata, deduplication, read, ct);

    /// <summary>With the stream's row locked first (see <see cref="StreamStore.HandleExclusively"/>): a deprovision among attachments.</summary>
    public Task<Decision> HandleExclusively(Guid instanceId, Func<ServiceInstance, Decision> decide, EventMetadata metadata, CancellationToken ct = default) =>
        streams.HandleExclusively(ServiceInstance.StreamId(instanceId), (events, _, _) => Task.FromResult(decide(ServiceInstance.Fold(events))),
            metadata, ct);
}
