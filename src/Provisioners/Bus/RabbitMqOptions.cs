using RabbitMQ.Client;

namespace EventSourced.Provisioners.Bus;

/// <summary>Where the RabbitMQ broker is (configuration section "RabbitMq").</summary>
public sealed class RabbitMqOptions
{
    public const string Section = "RabbitMq";

    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 5672;
    public string VirtualHost { get; set; } = "/";
    public string Username { get; set; } = "guest";
    public string Password { get; set; } = "guest";

    /// <summary>
    /// The other nodes of a RabbitMQ cluster, <c>host[:port]</c> comma-separated (the port defaults to <see cref="Port"/>):
    /// every connection of the broker (MassTransit's and its own) goes to the first node that answers, <see cref="Host"/>
    /// first, and reconnects to another when its node goes down. Empty for a single node.
    /// </summary>
    public string ClusterNodes { get; set; } = "";

    /// <summary>
    /// The type of the endpoints' queues (the saga's, the sub-provisioners', their error queues are MassTransit's):
    /// <c>Quorum</c> replicates each queue over the cluster's nodes (a node lost loses no message), <c>Classic</c> keeps it
    /// on one node; <c>Auto</c> is quorum with <see cref="ClusterNodes"/> and classic on a single node. A queue keeps the
    /// type it was created with: changing it on existing queues needs them deleted (or a new virtual host) first.
    /// </summary>
    public RabbitMqQueueType QueueType { get; set; } = RabbitMqQueueType.Auto;

    public bool UsesQuorumQueues => QueueType == RabbitMqQueueType.Quorum || (QueueType == RabbitMqQueueType.Auto && Nodes().Count > 1);

    /// <summary><see cref="Host"/> then each of <see cref="ClusterNodes"/>, in order.</summary>
    public IReadOnlyList<(string Host, int Port)> Nodes() =>
    [
        (Host, Port),
        .. ClusterNodes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(node =>
            node.LastIndexOf(':') is var colon and > 0 && int.TryParse(node[(colon + 1)..], out var port)
                ? (node[..colon], port)
                : (node, Port)),
    ];

    /// <summary>A connection of the broker's own to the first node of <see cref="Nodes"/> that answers.</summary>
    public Task<IConnection> Connect(ConnectionFactory factory, CancellationToken ct = default) =>
        factory.CreateConnectionAsync(Nodes().Select(node => new AmqpTcpEndpoint(node.Host, node.Port)).ToList(), ct);

    /// <summary>A client connection of the broker's own beside MassTransit's (dfe events, dead letters, health), named for the node's list.</summary>
    public ConnectionFactory ConnectionFactory(string clientName) => new()
    {
        HostName = Host, Port = Port, VirtualHost = VirtualHost, UserName = Username, Password = Password, ClientProvidedName = clientName,
    };
}

public enum RabbitMqQueueType { Auto, Classic, Quorum }
