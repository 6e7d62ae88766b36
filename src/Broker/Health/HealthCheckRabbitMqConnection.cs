using EventSourced.Provisioners.Bus;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace EventSourced.Broker.Health;

/// <summary>
/// One long-lived connection for the RabbitMQ health check (a connection per probe would churn the server): the check
/// opens a channel on it, which fails while the node is down; it recovers by itself, or is opened anew if it never was.
/// </summary>
public sealed class HealthCheckRabbitMqConnection(IOptions<RabbitMqOptions> options) : IAsyncDisposable
{
    private readonly SemaphoreSlim _opening = new(1, 1);
    private IConnection? _connection;

    public async Task<IConnection> Get()
    {
        if (_connection is { } open) return open;
        await _opening.WaitAsync();
        try
        {
            if (_connection is { } opened) return opened;
            var factory = options.Value.ConnectionFactory("broker health check");
            (factory.RequestedConnectionTimeout, factory.AutomaticRecoveryEnabled, factory.TopologyRecoveryEnabled) =
                (TimeSpan.FromSeconds(3), true, false);
            return _connection = await options.Value.Connect(factory);
        }
        finally
        {
            _opening.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
        _opening.Dispose();
    }
}
