using EventSourced.Commands.EventStore;
using Npgsql;

namespace EventSourced.Projections.Subscriptions;

/// <summary>
/// A consumer of the global log with its own checkpoint. The runner calls Handle with a batch inside a transaction and
/// commits the new checkpoint in that transaction: a subscription writing read-model rows through
/// <paramref name="transaction"/> gets exactly-once effects; one with outside effects (publishing to RabbitMQ) gets
/// at-least-once.
/// </summary>
public interface IEventSubscription
{
    string Name { get; }

    Task Handle(IReadOnlyList<RecordedEvent> batch, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct);
}
