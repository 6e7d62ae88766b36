using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Provisioners.Bus;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Failures;

/// <summary>
/// <c>RabbitMq:QueueType</c>: with <c>Quorum</c> every endpoint queue of the flow is a quorum queue (replicated over a
/// cluster's nodes; one node here) and a provisioning runs through them; <c>Auto</c> picks quorum only for a cluster.
/// </summary>
public sealed class QuorumQueueTests : IAsyncLifetime
{
    private static readonly string[] Endpoints =
        ["instance-operation-state", "storage-sub-provisioner", "server-sub-provisioner", "database-sub-provisioner", "operation-recorder"];

    private BrokerEnvironment _environment = null!;

    public async Task InitializeAsync() => _environment = await BrokerEnvironment.Create(new Dictionary<string, string>
    {
        ["Provisioners__Backend"] = "simulated",
        ["RabbitMq__QueueType"] = "Quorum",
    });

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public void Auto_IsQuorumForAClusterOnly()
    {
        Assert.False(new RabbitMqOptions().UsesQuorumQueues);
        Assert.True(new RabbitMqOptions { ClusterNodes = "rabbitmq-2,rabbitmq-3" }.UsesQuorumQueues);
        Assert.False(new RabbitMqOptions { ClusterNodes = "rabbitmq-2", QueueType = RabbitMqQueueType.Classic }.UsesQuorumQueues);
        Assert.True(new RabbitMqOptions { QueueType = RabbitMqQueueType.Quorum }.UsesQuorumQueues);
    }

    [Fact]
    public async Task Quorum_EveryEndpointQueueIsAQuorumQueue_AndAProvisioningRunsThroughThem()
    {
        await using var broker = await BrokerProcess.Start(_environment);
        var instanceId = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.Accepted, (await broker.Client.Provision(instanceId)).StatusCode);
        var done = await broker.Client.PollUntilDone(instanceId, TimeSpan.FromSeconds(60), () => broker.Output);
        Assert.True(done.State == "succeeded", $"{done}\n{broker.Output}");

        using var management = new HttpClient { BaseAddress = new Uri($"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}/") };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestSettings.RabbitUsername}:{TestSettings.RabbitPassword}")));
        var queues = JsonNode.Parse(await management.GetStringAsync($"api/queues/{Uri.EscapeDataString(_environment.VirtualHost.Name)}"))!.AsArray()
            .ToDictionary(q => (string)q!["name"]!, q => (string?)q!["type"]);
        foreach (var endpoint in Endpoints)
            Assert.True(queues.GetValueOrDefault(endpoint) == "quorum",
                $"{endpoint}: {queues.GetValueOrDefault(endpoint) ?? "no such queue"} (queues: {string.Join(", ", queues.Select(q => $"{q.Key}={q.Value}"))})");
    }
}
