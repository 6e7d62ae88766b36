using System.Collections.Concurrent;
using System.Text;
using EventSourced.TestSupport;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace EventSourced.Broker.Tests.IntegrationEvents;

/// <summary>An outside subscriber as the README tells one to be: plain AMQP, its own queue bound to <c>dfe.#</c>.</summary>
internal sealed class DfeSubscriber : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly ConcurrentQueue<DfeMessage> _received = new();

    private DfeSubscriber(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    public IReadOnlyList<DfeMessage> Received => [.. _received];

    public static async Task<DfeSubscriber> Connect(string virtualHost)
    {
        var factory = new ConnectionFactory
        {
            HostName = TestSettings.RabbitHost, Port = TestSettings.RabbitPort, VirtualHost = virtualHost,
            UserName = TestSettings.RabbitUsername, Password = TestSettings.RabbitPassword, ClientProvidedName = "dfe test subscriber",
        };
        var connection = await factory.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync("dfe", ExchangeType.Topic, durable: true, autoDelete: false);
        var queue = await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);
        await channel.QueueBindAsync(queue.QueueName, "dfe", "dfe.#");
        var subscriber = new DfeSubscriber(connection, channel);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            subscriber._received.Enqueue(new DfeMessage(delivery.RoutingKey, delivery.BasicProperties.MessageId,
                delivery.BasicProperties.ContentType, Encoding.UTF8.GetString(delivery.Body.Span)));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer);
        return subscriber;
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}

internal sealed record DfeMessage(string RoutingKey, string? MessageId, string? ContentType, string Body);
