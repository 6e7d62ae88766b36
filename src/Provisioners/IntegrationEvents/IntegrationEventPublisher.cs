using System.Text.Json;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Subscriptions;
using EventSourced.Provisioners.Bus;
using Microsoft.Extensions.Options;
using Npgsql;
using RabbitMQ.Client;

namespace EventSourced.Provisioners.IntegrationEvents;

/// <summary>
/// Tells outside subscribers what happened, as plain JSON on the durable topic exchange <c>dfe</c>: a checkpointed
/// subscription of the log with publisher confirms, so at least once, with the event id as message id for dedupe.
/// </summary>
public sealed class IntegrationEventPublisher(IOptions<RabbitMqOptions> options, EventStore store) : IEventSubscription, IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;

    public string Name => "dfe-integration-events";

    public async Task Handle(IReadOnlyList<RecordedEvent> batch, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        var notable = batch.Where(e => DfeEvent.NameOf(e.Data) is not null).ToList();
        if (notable.Count == 0) return;
        var channel = await Channel(ct);
        foreach (var recorded in notable)
        {
            if (await Describe(recorded, ct) is not { } body) continue;
            var properties = new BasicProperties
            {
                MessageId = recorded.EventId.ToString(), ContentType = "application/json", Type = body.Event,
                DeliveryMode = DeliveryModes.Persistent, Timestamp = new AmqpTimestamp(recorded.CreatedAt.ToUnixTimeSeconds()),
            };
            await channel.BasicPublishAsync(DfeEvent.Exchange, body.Event, mandatory: false, properties,
                JsonSerializer.SerializeToUtf8Bytes(body, Json), ct);
        }
    }

    /// <summary>The event's body, or null for the removal of a resource that never existed (a rollback's idempotent step).</summary>
    private async Task<DfeEvent?> Describe(RecordedEvent recorded, CancellationToken ct)
    {
        var history = (await store.ReadStream(recorded.StreamId, 1, ct)).Where(e => e.Version < recorded.Version).Select(e => e.Data);
        var before = ServiceInstance.Fold(history);
        if (!Existed(recorded.Data, before)) return null;
        var instance = ServiceInstance.Evolve(before, recorded.Data);
        return new DfeEvent(DfeEvent.NameOf(recorded.Data)!, recorded.EventId, instance.Id, instance.LastOperation?.Id ?? Guid.Empty,
            instance.ServiceId, instance.PlanId, recorded.CreatedAt, instance.CreatedAt, DfeEvent.ResourceUriOf(recorded.Data, instance));
    }

    private static bool Existed(IDomainEvent e, ServiceInstance before) => e switch
    {
        StorageDeprovisioned => before.Storage is not null,
        DatabaseDeprovisioned => before.Database is not null,
        _ => true,
    };

    private async Task<IChannel> Channel(CancellationToken ct)
    {
        if (_channel is { IsOpen: true }) return _channel;
        await _connecting.WaitAsync(ct);
        try
        {
            if (_channel is { IsOpen: true }) return _channel;
            var o = options.Value;
            var factory = new ConnectionFactory
            {
                HostName = o.Host, Port = o.Port, VirtualHost = o.VirtualHost, UserName = o.Username, Password = o.Password,
                ClientProvidedName = "broker dfe integration events",
            };
            if (_connection is { IsOpen: true } == false) _connection = await factory.CreateConnectionAsync(ct);
            _channel = await _connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
            await _channel.ExchangeDeclareAsync(DfeEvent.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: ct);
            return _channel;
        }
        finally
        {
            _connecting.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null) await _channel.DisposeAsync();
        if (_connection is not null) await _connection.DisposeAsync();
        _connecting.Dispose();
    }
}
