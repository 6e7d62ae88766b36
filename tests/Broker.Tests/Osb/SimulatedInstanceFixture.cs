using System.Net;
using System.Net.Http.Json;
using EventSourced.Broker.Tests.Hosting;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>
/// A broker on the simulated backend with one instance provisioned up front: requests against a live instance (PATCH,
/// bind) without starting a real server for it.
/// </summary>
public sealed class SimulatedInstanceFixture : IAsyncLifetime
{
    public BrokerEnvironment Environment { get; private set; } = null!;
    public BrokerProcess Broker { get; private set; } = null!;
    public Guid InstanceId { get; } = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        Environment = await BrokerEnvironment.Create(new Dictionary<string, string> { ["Provisioners__Backend"] = "simulated" });
        Broker = await BrokerProcess.Start(Environment);
        Assert.Equal(HttpStatusCode.Accepted, (await Broker.Client.Provision(InstanceId)).StatusCode);
        var done = await Broker.Client.PollUntilDone(InstanceId, TimeSpan.FromSeconds(60));
        Assert.True(done.State == "succeeded", $"{done}\n{Broker.Output}");
    }

    public async Task DisposeAsync()
    {
        await Broker.DisposeAsync();
        await Environment.DisposeAsync();
    }

    /// <summary>Runs a request that must be refused, and proves the refusal appended nothing to the log.</summary>
    public Task<HttpResponseMessage> Refused(Func<HttpClient, Task<HttpResponseMessage>> request) => Environment.Refused(Broker.Client, request);
}
