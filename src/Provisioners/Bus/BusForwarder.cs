using System.Diagnostics;
using EventSourced.Commands.EventStore;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

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
    private readonly Lazy<IForwardedEventsObserver[]> observers;
    private readonly ILogger log;

    /// <param name="bus">Resolved at the first page: the bus's saga endpoints need the document store this is part of.</param>
    /// <param name="observers">Resolved at the first page too; told of each page once it is published.</param>
    public BusForwarder(Func<IBus> bus, Func<IEnumerable<IForwardedEventsObserver>>? observers = null, ILogger? log = null)
    {
        this.bus = new Lazy<IBus>(bus);
        this.observers = new Lazy<IForwardedEventsObserver[]>(() => observers?.Invoke().ToArray() ?? []);
        this.log = log ?? NullLogger.Instance;
        Name = SubscriptionName;
    }

    public override async Task<IChangeListener> ProcessEventsAsync(
        EventRange page, ISubscriptionController controller, IDocumentOperations operations, CancellationToken cancellationToken)
    {
        await Task.WhenAll(page.Events.Where(e => e.Data is IDomainEvent).Select(e => Publish(e, cancellationToken)));
        foreach (var observer in observers.Value)
        {
            try
            {
                await observer.Forwarded(page.Events, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "{Observer} failed on a forwarded page; the page is forwarded all the same", observer.GetType().Name);
            }
        }
        return NullChangeListener.Instance;
    }

    /// <summary>In the trace the event was appended in (<see cref="EventTrace"/>): MassTransit carries it on in the message's headers.</summary>
    private async Task Publish(IEvent e, CancellationToken cancellationToken)
    {
        using var activity = EventTrace.Source.StartActivity($"{e.Data.GetType().Name} forward", ActivityKind.Producer, EventTrace.ParentOf(e));
        activity?.SetTag("broker.stream", e.StreamKey);
        activity?.SetTag("broker.event.sequence", e.Sequence);
        await bus.Value.Publish(e.Data, e.Data.GetType(), context =>
        {
            context.MessageId = e.Id;
            context.CorrelationId = EventMetadata.Of(e).CorrelationId;
        }, cancellationToken);
    }
}
