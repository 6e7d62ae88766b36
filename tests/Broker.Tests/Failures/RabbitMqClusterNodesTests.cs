using System.Net;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Failures;

/// <summary>
/// <c>RabbitMq:ClusterNodes</c>: the node named by <c>RabbitMq:Host</c> does not answer (nothing listens on its port), the
/// next node of the list does: the broker connects there, MassTransit and its own connections alike, is ready, and
/// provisions.
/// </summary>
public sealed class RabbitMqClusterNodesTests : IAsyncLifetime
{
    private BrokerEnvironment _environment = null!;

    public async Task InitializeAsync() =>
        _environment = await BrokerEnvironment.Create(new Dictionary<string, string> { ["Provisioners__Backend"] = "simulated" });

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public async Task FirstNodeDown_TheBrokerUsesTheNextNode_IsReady_AndProvisions()
    {
        await using var broker = await BrokerProcess.Start(_environment, new Dictionary<string, string>
        {
            ["RabbitMq__Host"] = "127.0.0.1",
            ["RabbitMq__Port"] = UnusedPort().ToString(),
            ["RabbitMq__ClusterNodes"] = $"{TestSettings.RabbitHost}:{TestSettings.RabbitPort}",
        });

        var ready = await (await broker.Client.GetAsync("/health/ready")).Json();
        Assert.Equal("Healthy", (string?)ready["checks"]!["rabbitmq"]!["status"]);
        var instanceId = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.Accepted, (await broker.Client.Provision(instanceId)).StatusCode);
        var done = await broker.Client.PollUntilDone(instanceId, TimeSpan.FromSeconds(60), () => broker.Output);
        Assert.True(done.State == "succeeded", $"{done}\n{broker.Output}");
    }

    /// <summary>A loopback port nothing listens on (taken and released at once).</summary>
    private static int UnusedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
