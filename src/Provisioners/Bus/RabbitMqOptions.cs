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

    /// <summary>A client connection of the broker's own beside MassTransit's (dfe events, dead letters, health), named for the node's list.</summary>
    public ConnectionFactory ConnectionFactory(string clientName) => new()
    {
        HostName = Host, Port = Port, VirtualHost = VirtualHost, UserName = Username, Password = Password, ClientProvidedName = clientName,
    };
}
