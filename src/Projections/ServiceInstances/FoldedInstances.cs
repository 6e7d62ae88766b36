using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Streams;
using JasperFx.Events;

namespace EventSourced.Projections.ServiceInstances;

/// <summary>The instance of each whole stream and the version it is folded to, for the views over instance streams.</summary>
internal static class FoldedInstances
{
    public static List<(ServiceInstance State, long Version)> Of(IReadOnlyDictionary<string, IReadOnlyList<IEvent>> streams) =>
        streams.Values.Select(events => (State: ServiceInstance.Fold(events.Payloads()), Version: events[^1].Version))
            .Where(row => row.State.Id != Guid.Empty).ToList();
}
