using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;

namespace EventSourced.Broker.Tests.Clusters;

/// <summary>A broker on the local backend (real servers) with a ready cluster named <see cref="ClusterName"/> in the default space.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string ClusterName = "shared-cluster";

    public BrokerEnvironment Environment { get; private set; } = null!;
    public BrokerProcess Broker { get; private set; } = null!;
    public Guid ClusterId { get; } = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        Environment = await BrokerEnvironment.Create();
        Broker = await BrokerProcess.Start(Environment);
        await (await Broker.Client.ProvisionCluster(ClusterId, ClusterName)).AcceptedOperation();
        await Broker.Client.Succeeds(ClusterId, () => Broker.Output);
    }

    public async Task DisposeAsync()
    {
        await Broker.DisposeAsync();
        await Environment.DisposeAsync();
    }

    /// <summary>Runs a request that must be refused, and proves the refusal appended nothing to the log.</summary>
    public Task<HttpResponseMessage> Refused(Func<HttpClient, Task<HttpResponseMessage>> request) => Environment.Refused(Broker.Client, request);
}
