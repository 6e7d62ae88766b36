using System.Text;
using System.Text.Json;
using EventSourced.Provisioners.Bus;
using EventSourced.Provisioners.Sagas;
using EventSourced.Provisioners.SubProvisioners;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace EventSourced.Provisioners.DeadLetters;

/// <summary>A message whose retries ran out, as an operator sees it.</summary>
public sealed record DeadLetter(string? MessageType, string? MessageId, string? Reason, string? FailedAt);

/// <summary>An endpoint's error queue: how many messages wait there, and the first of them.</summary>
public sealed record DeadLetterQueue(string Endpoint, string Queue, uint Messages, IReadOnlyList<DeadLetter> First);

/// <summary>
/// The error queues (<c>&lt;endpoint&gt;_error</c>) where MassTransit moves a message whose retries ran out: listed for
/// operators and re-driven on command, each message back to its endpoint's exchange with its body and headers (less the
/// fault headers), acknowledged only once published.
/// </summary>
public sealed class DeadLetterQueues(IOptions<RabbitMqOptions> options)
{
    /// <summary>Also on nodes without the flow (API nodes, the operator's CLI): they look at the same RabbitMQ.</summary>
    public static IServiceCollection AddTo(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RabbitMqOptions>().Bind(configuration.GetSection(RabbitMqOptions.Section));
        return services.AddSingleton<DeadLetterQueues>();
    }

    private static readonly IEndpointNameFormatter Names = KebabCaseEndpointNameFormatter.Instance;

    /// <summary>Every receive endpoint of the flow, named as the bus names them.</summary>
    public static IReadOnlyList<string> Endpoints { get; } =
    [
        Names.Saga<InstanceOperationState>(),
        Names.Consumer<StorageSubProvisioner>(),
        Names.Consumer<ServerSubProvisioner>(),
        Names.Consumer<DatabaseSubProvisioner>(),
        Names.Consumer<OperationRecorder>(),
        Names.Consumer<BindingSubProvisioner>(),
        Names.Consumer<OrphanRemover>(),
    ];

    public async Task<IReadOnlyList<DeadLetterQueue>> List(int peek, CancellationToken ct)
    {
        await using var connection = await Connect(ct);
        var found = new List<DeadLetterQueue>();
        foreach (var endpoint in Endpoints)
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
            if (await Count(channel, ErrorQueueOf(endpoint), ct) is not { } count) continue;
            found.Add(new DeadLetterQueue(endpoint, ErrorQueueOf(endpoint), count, await Peek(channel, ErrorQueueOf(endpoint), peek, ct)));
        }
        return found;
    }

    /// <summary>Moves the messages of one endpoint's error queue (or of all) back to their endpoints; returns how many.</summary>
    public async Task<int> Redrive(string? endpoint, CancellationToken ct)
    {
        if (endpoint is not null && !Endpoints.Contains(endpoint))
            throw new ArgumentException($"No endpoint named '{endpoint}'; the endpoints are: {string.Join(", ", Endpoints)}.", nameof(endpoint));
        await using var connection = await Connect(ct);
        var moved = 0;
        foreach (var name in endpoint is null ? Endpoints : [endpoint])
        {
            await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true,
                publisherConfirmationTrackingEnabled: true), ct);
            if (await Count(channel, ErrorQueueOf(name), ct) is not > 0) continue;
            while (await channel.BasicGetAsync(ErrorQueueOf(name), autoAck: false, ct) is { } message)
            {
                var properties = new BasicProperties(message.BasicProperties);
                if (properties.Headers is { } headers)
                    foreach (var fault in headers.Keys.Where(k => k.StartsWith("MT-Fault-", StringComparison.Ordinal) || k == "MT-Reason").ToList())
                        headers.Remove(fault);
                await channel.BasicPublishAsync(name, "", mandatory: true, properties, message.Body, ct);
                await channel.BasicAckAsync(message.DeliveryTag, multiple: false, ct);
                moved++;
            }
        }
        return moved;
    }

    public static string ErrorQueueOf(string endpoint) => $"{endpoint}_error";

    private Task<IConnection> Connect(CancellationToken ct) =>
        options.Value.Connect(options.Value.ConnectionFactory("broker dead-letters"), ct);

    // An endpoint that never failed has no error queue: a passive declare of a missing queue closes the channel, which is
    // why each queue gets a channel of its own.
    private static async Task<uint?> Count(IChannel channel, string queue, CancellationToken ct)
    {
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue, ct)).MessageCount;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    }

    // Fetched without acknowledgement and handed back when the channel closes: peeking moves nothing.
    private static async Task<IReadOnlyList<DeadLetter>> Peek(IChannel channel, string queue, int count, CancellationToken ct)
    {
        var letters = new List<DeadLetter>();
        while (letters.Count < count && await channel.BasicGetAsync(queue, autoAck: false, ct) is { } message)
        {
            var headers = message.BasicProperties.Headers;
            letters.Add(new DeadLetter(MessageTypeOf(message.Body), message.BasicProperties.MessageId,
                Header(headers, "MT-Fault-Message"), Header(headers, "MT-Fault-Timestamp")));
        }
        return letters;
    }

    // MassTransit's envelope names the message's types as URNs, most specific first: urn:message:Namespace:Type.
    private static string? MessageTypeOf(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var envelope = JsonDocument.Parse(body);
            return envelope.RootElement.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array
                && types.GetArrayLength() > 0 ? types[0].GetString()?.Split(':')[^1] : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Header(IDictionary<string, object?>? headers, string name) =>
        headers?.TryGetValue(name, out var value) == true ? value switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            null => null,
            var other => other.ToString(),
        } : null;
}
