using EventSourced.TestSupport;
using System.Buffers.Binary;
using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace EventSourced.Bench.Infrastructure;

public sealed record RoundTripResult(int Messages, int Hops, double TotalSeconds, double MedianMs, double P99Ms, double MessagesPerSecond);

/// <summary>
/// Raw RabbitMQ: <c>count</c> persistent messages published at once with publisher confirms to a durable queue, consumed with
/// manual acks. With <c>hops</c> &gt; 1 the consumer republishes each message (awaiting the confirm) until it has crossed
/// the broker that many times, like the saga's chain of sequential steps.
/// </summary>
public static class RabbitRoundTrips
{
    public static async Task<RoundTripResult> Run(string virtualHost, int count, int hops, int bodyBytes = 1024)
    {
        var factory = new ConnectionFactory
        {
            HostName = TestSettings.RabbitHost, Port = TestSettings.RabbitPort, UserName = TestSettings.RabbitUsername,
            Password = TestSettings.RabbitPassword, VirtualHost = virtualHost, ConsumerDispatchConcurrency = 256,
        };
        await using var connection = await factory.CreateConnectionAsync();
        var confirms = new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);
        await using var publisher = await connection.CreateChannelAsync(confirms);
        await using var consumerChannel = await connection.CreateChannelAsync(confirms);
        var queue = $"roundtrip-{Guid.NewGuid():N}";
        await publisher.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        await consumerChannel.BasicQosAsync(0, 256, false);

        var latencies = new double[count];
        var received = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var properties = new BasicProperties { Persistent = true };
        var consumer = new AsyncEventingBasicConsumer(consumerChannel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            var body = delivery.Body.ToArray();
            var index = BinaryPrimitives.ReadInt32LittleEndian(body);
            var hop = BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(4));
            if (hop < hops)
            {
                BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(4), hop + 1);
                await consumerChannel.BasicPublishAsync("", queue, false, properties, body);
            }
            else
            {
                latencies[index] = Latencies.Milliseconds(Stopwatch.GetTimestamp() - BinaryPrimitives.ReadInt64LittleEndian(body.AsSpan(8)));
                if (Interlocked.Increment(ref received) == count) done.TrySetResult();
            }
            await consumerChannel.BasicAckAsync(delivery.DeliveryTag, false);
        };
        await consumerChannel.BasicConsumeAsync(queue, autoAck: false, consumer);

        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            var body = new byte[bodyBytes];
            BinaryPrimitives.WriteInt32LittleEndian(body, i);
            BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(4), 1);
            BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(8), Stopwatch.GetTimestamp());
            await publisher.BasicPublishAsync("", queue, false, properties, body);
        }));
        await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
        var total = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await publisher.QueueDeleteAsync(queue);
        var sorted = latencies.Order().ToList();
        return new RoundTripResult(count, hops, total, Latencies.Percentile(sorted, 50), Latencies.Percentile(sorted, 99), count * hops / total);
    }
}
