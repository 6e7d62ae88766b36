using EventSourced.Commands.EventStore;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;
using MassTransit;

namespace EventSourced.Provisioners.Bus;

/// <summary>
/// The event log is the outbox: a Marten subscription publishes every recorded event to RabbitMQ (publisher confirms on,
/// so an awaited publish is in the broker) and Marten records its progress after the page. A crash in between publishes
/// the page again; the message id is the event id, so consumers drop the repeat (inbox). Rich-mode tombstones (the
/// sequence numbers of appends that lost a race) carry no domain event and are skipped.
/// </summary>
public sealed class BusForwarder : SubscriptionBase
{
    public const string SubscriptionName = "bus-forwarder";
    private readonly Lazy<IBus> bus;

    /// <param name="bus">Resolved at the first page: the bus's saga endpoints need the document store this is part of.</param>
    public BusForwarder(Func<IBus> bus)
    {
        this.bus = new Lazy<IBus>(bus);
        Name = SubscriptionName;
    }

    public override async Task<IChangeListener> ProcessEventsAsync(
        EventRange page, ISubscriptionController controller, IDocumentOperations operations, CancellationToken cancellationToken)
    {
        await Task.WhenAll(page.Events.Where(e => e.Data is IDomainEvent).Select(e => bus.Value.Publish(e.Data, e.Data.GetType(), context =>
        {
            context.MessageId = e.Id;
            context.CorrelationId = EventMetadata.Of(e).CorrelationId;
        }, cancellationToken)));
        return NullChangeListener.Instance;
    }
}
