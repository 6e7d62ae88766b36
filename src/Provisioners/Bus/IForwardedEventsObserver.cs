using JasperFx.Events;

namespace EventSourced.Provisioners.Bus;

/// <summary>
/// Told of every page the forwarder published, once it is on the bus (the host's metrics count operations ending there:
/// the forwarder runs on one node at a time, so nothing is counted twice but a page replayed after a crash). An observer
/// that fails is logged and ignored: it never holds the log back.
/// </summary>
public interface IForwardedEventsObserver
{
    Task Forwarded(IReadOnlyList<IEvent> events, CancellationToken cancellationToken);
}
