using EventSourced.TestSupport;
using System.Diagnostics;
using System.Net;
using EventSourced.Broker.Tests.Hosting;
using Xunit.Abstractions;

namespace EventSourced.Broker.Tests.EndToEnd;

/// <summary>
/// Two worker nodes of one deployment: Marten's daemon runs in HotCold mode, so the node that took the lead runs the
/// async projections and the subscriptions (the bus forwarder among them) and the other stands by. SIGKILLed, the leader
/// leaves no one to hand over to: the other node must take the lead by itself.
/// </summary>
public sealed class HotColdFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Simulated = new() { ["Provisioners__Backend"] = "simulated" };
    private BrokerEnvironment _environment = null!;

    public async Task InitializeAsync() => _environment = await BrokerEnvironment.Create(Simulated);

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public async Task Daemon_LeaderKilled_TheOtherNodeProjectsAndForwardsWithinSeconds()
    {
        await using var second = await Lead();
        var afterKill = Guid.NewGuid();
        var clock = Stopwatch.StartNew();

        Assert.Equal(HttpStatusCode.Accepted, (await second.Client.Provision(afterKill)).StatusCode);
        var done = await second.Client.PollUntilDone(afterKill, TimeSpan.FromSeconds(60), () => second.Output);
        Assert.True(done.State == "succeeded", $"{done}\n{second.Output}");
        await DirectoryShows(second, afterKill);
        output.WriteLine($"provisioned and listed through the surviving node {clock.Elapsed.TotalSeconds:F1} s after the leader was killed");
    }

    /// <summary>A first node that provably leads (it projected alone), a second one started after it, and the first killed.</summary>
    private async Task<BrokerProcess> Lead()
    {
        var instanceId = Guid.NewGuid();
        var first = await BrokerProcess.Start(_environment);
        await using (first)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await first.Client.Provision(instanceId)).StatusCode);
            var done = await first.Client.PollUntilDone(instanceId);
            Assert.True(done.State == "succeeded", $"{done}\n{first.Output}");
            await DirectoryShows(first, instanceId);
            var second = await BrokerProcess.Start(_environment);
            await first.Kill();
            return second;
        }
    }

    private static Task DirectoryShows(BrokerProcess node, Guid instanceId) =>
        Eventually.Until(async () => (await node.Client.GetAsync($"/admin/instances/{instanceId}")).StatusCode, status => status == HttpStatusCode.OK,
            $"instance {instanceId} in the directory", seconds: 30, details: () => node.Output);
}
