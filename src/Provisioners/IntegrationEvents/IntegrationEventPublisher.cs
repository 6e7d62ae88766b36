using System.Text.Json;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Streams;
using EventSourced.Provisioners.Bus;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace EventSourced.Provisioners.IntegrationEvents;

/// <summary>
/// Tells outside subscribers what happened, as plain JSON on the durable topic exchange <c>dfe</c>: a
/// Marten subscription of the log (Marten records its progress after each page) with publisher confirms, so at least
/// once, with the event id as message id for dedupe.
/// </summary>
public sealed class IntegrationEventPublisher : SubscriptionBase, IAsyncDisposable
{
    public const string SubscriptionName = "dfe-integration-events";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;

    private readonly IOptions<RabbitMqOptions> options;
    private readonly ServiceCatalog? catalog;

    public IntegrationEventPublisher(IOptions<RabbitMqOptions> options, ServiceCatalog? catalog = null)
    {
        this.options = options;
        this.catalog = catalog;
        Name = SubscriptionName;
    }

    public override async Task<IChangeListener> ProcessEventsAsync(
        EventRange page, ISubscriptionController controller, IDocumentOperations operations, CancellationToken ct)
    {
        var notable = page.Events.Where(e => e.Data is IDomainEvent data && DfeEvent.NameOf(data) is not null).ToList();
        if (notable.Count == 0) return NullChangeListener.Instance;
        // Each instance's stream is read once for the page, however many of its events the page holds.
        var streams = await StreamHistory.Load(operations, notable.Select(e => e.StreamKey!).Distinct().ToList(), page.Events, ct);
        var channel = await Channel(ct);
        foreach (var recorded in notable)
        {
            if (Describe(streams[recorded.StreamKey!], recorded) is not { } described) continue;
            foreach (var body in described)
            {
                var properties = new BasicProperties
                {
                    MessageId = body.EventId.ToString(), ContentType = "application/json", Type = body.Event,
                    DeliveryMode = DeliveryModes.Persistent, Timestamp = new AmqpTimestamp(recorded.Timestamp.ToUnixTimeSeconds()),
                };
                await channel.BasicPublishAsync(DfeEvent.Exchange, body.Event, mandatory: false, properties,
                    JsonSerializer.SerializeToUtf8Bytes(body, Json), ct);
            }
        }
        return NullChangeListener.Instance;
    }

    /// <summary>
    /// The event's bodies (one per name it is told as: the first under the event's id, the others under ids derived from it
    /// and their name, stable across redeliveries), or null for the removal of a resource that never existed (a rollback's
    /// idempotent step).
    /// </summary>
    private IReadOnlyList<DfeEvent>? Describe(IReadOnlyList<IEvent> stream, IEvent recorded)
    {
        var data = (IDomainEvent)recorded.Data;
        var before = ServiceInstance.Fold(stream.TakeWhile(e => e.Version < recorded.Version).Payloads());
        if (!Existed(data, before)) return null;
        var instance = ServiceInstance.Evolve(before, data);
        var operationId = instance.LastOperation?.Id ?? Guid.Empty;
        var (requester, request) = DfeRequest.Of(stream.TakeWhile(e => e.Version <= recorded.Version), operationId);
        var first = new DfeEvent(DfeEvent.NameOf(data)!, recorded.Id, instance.Id, operationId, instance.ServiceId, instance.PlanId, recorded.Timestamp,
            instance.CreatedAt, DfeEvent.ResourceUriOf(data, instance, catalog?.ProvisionerOf(instance.ServiceId)), requester, request,
            DfeEvent.SnapshotOf(data, instance)) { BackupId = DfeEvent.BackupOf(data) };
        return DfeEvent.NamesOf(data, instance).Select(name => name == first.Event ? first : first with { Event = name, EventId = Derived(recorded.Id, name) }).ToList();
    }

    private static Guid Derived(Guid eventId, string name) =>
        new(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{eventId:N}/{name}")).AsSpan(0, 16));

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
            var factory = options.Value.ConnectionFactory("broker dfe integration events");
            if (_connection is { IsOpen: true } == false) _connection = await options.Value.Connect(factory, ct);
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

    public override async ValueTask DisposeAsync()
    {
        if (_channel is not null) await _channel.DisposeAsync();
        if (_connection is not null) await _connection.DisposeAsync();
        _connecting.Dispose();
    }
}
