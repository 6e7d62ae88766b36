using EventSourced.Commands.EventStore;
using EventSourced.Projections.Subscriptions;
using MassTransit;
using Npgsql;

namespace EventSourced.Provisioners.Bus;

/// <summary>
/// The event log is the outbox: every recorded event is published to RabbitMQ (publisher confirms on, so an awaited
/// publish is in the broker) before the checkpoint moves. A crash in between publishes the batch again; the message id
/// is the event id, so consumers drop the repeat.
/// </summary>
public sealed class BusForwarder(IBus bus) : IEventSubscription
{
    public string Name => "bus-forwarder";

    public Task Handle(IReadOnlyList<RecordedEvent> batch, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct) =>
        Task.WhenAll(batch.Select(e => bus.Publish(e.Data, e.Data.GetType(), context =>
        {
            context.MessageId = e.EventId;
            context.CorrelationId = e.Metadata.CorrelationId;
        }, ct)));
}
