using System.Net;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Health;

/// <summary>
/// The two probes of a node doing everything (local backend): <c>/health/live</c> checks nothing (an outage must not get
/// a healthy process restarted), <c>/health/ready</c> checks each dependency for real, and turns red and green again by
/// itself with the data root of the dedicated servers. PostgreSQL and RabbitMQ going away are in Failures/.
/// </summary>
public sealed class HealthProbeTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task Live_ChecksNothing_Ready_ChecksEveryDependencyOfANodeOfAllRoles()
    {
        using var anonymous = new HttpClient { BaseAddress = fixture.Broker.BaseAddress };

        using var live = await anonymous.GetAsync("/health/live");
        var liveReport = await live.Json();
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Empty(liveReport["checks"]!.AsObject());

        using var ready = await anonymous.GetAsync("/health/ready");
        var report = await ready.Json();
        Assert.True(ready.StatusCode == HttpStatusCode.OK, report.ToJsonString());
        var checks = report["checks"]!.AsObject();
        Assert.Equal(["local-data-root", "masstransit-bus", "postgresql", "projection-lag", "rabbitmq"],
            checks.Select(c => c.Key).Order(StringComparer.Ordinal));
        Assert.All(checks, c => Assert.Equal("Healthy", (string?)c.Value!["status"]));
    }

    [Fact]
    public async Task AFreshWorker_MakesItsDataRoot_AndIsReady()
    {
        // A deployment of its own: the fixture's broker holds the claim of its database for its own data root.
        await using var environment = await BrokerEnvironment.Create();
        var fresh = Path.Combine(environment.DataRoot, "fresh", "instances");
        await using var worker = await BrokerProcess.Start(environment, new Dictionary<string, string>
        {
            ["Provisioners__Local__DataRoot"] = fresh,
            ["Broker__Roles"] = "worker",
        });
        var report = await (await worker.Client.GetAsync("/health/ready")).Json();
        Assert.Equal("Healthy", (string?)report["checks"]!["local-data-root"]!["status"]);
        Assert.True(Directory.Exists(fresh));
    }

    [Fact]
    public async Task DataRootGone_ReadyIsRedNamingIt_AndGreenAgainWhenItIsBack()
    {
        using var anonymous = new HttpClient { BaseAddress = fixture.Broker.BaseAddress };
        var moved = fixture.Environment.DataRoot + "-moved";
        Directory.Move(fixture.Environment.DataRoot, moved);
        try
        {
            using var ready = await anonymous.GetAsync("/health/ready");
            var report = await ready.Json();
            Assert.True(ready.StatusCode == HttpStatusCode.ServiceUnavailable, report.ToJsonString());
            var check = report["checks"]!["local-data-root"]!;
            Assert.Equal("Unhealthy", (string?)check["status"]);
            Assert.Contains(fixture.Environment.DataRoot, (string?)check["description"]);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        }
        finally
        {
            Directory.Move(moved, fixture.Environment.DataRoot);
        }
        await Eventually.Until(async () => (await anonymous.GetAsync("/health/ready")).StatusCode, status => status == HttpStatusCode.OK,
            "/health/ready green again with the data root back", details: () => fixture.Broker.Output);
    }
}
