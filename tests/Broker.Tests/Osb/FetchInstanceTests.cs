using System.Net;
using System.Net.Http.Json;
using EventSourced.Broker.Tests.Dashboard;
using EventSourced.Broker.Tests.Hosting;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Osb;

/// <summary><c>GET /v2/service_instances/{id}</c>: only a provisioned instance is there to fetch, and not while it changes.</summary>
public sealed class FetchInstanceTests(ProvisionedInstanceFixture instance) : IClassFixture<ProvisionedInstanceFixture>
{
    private BrokerFixture Fixture => instance.Broker;
    private HttpClient Client => Fixture.Broker.Client;

    [Fact]
    public async Task Fetch_WhileProvisioning_Returns404()
    {
        var provisioning = Guid.NewGuid();
        await (await Client.Provision(provisioning)).AcceptedOperation();

        var response = await Fetch(provisioning);

        await response.AssertOsbError(HttpStatusCode.NotFound, "NotFound");
        // A DELETE during provisioning cancels it: nothing is left running behind the test.
        Assert.Equal(HttpStatusCode.Accepted, (await Client.Deprovision(provisioning)).StatusCode);
        await Fixture.AssertEnds(provisioning, HttpStatusCode.Gone, null);
    }

    [Fact]
    public async Task Fetch_Provisioned_Returns200WithTheInstance()
    {
        var response = await Fetch(instance.InstanceId);

        var body = await response.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(ServiceId, (string?)body["service_id"]);
        Assert.Equal((await instance.State()).PlanId, (string?)body["plan_id"]);
        SignedLinks.AssertFor((string?)body["dashboard_url"], Fixture.Broker.BaseAddress, instance.InstanceId);
        Assert.True(body.ContainsKey("parameters"), body.ToJsonString());
        Assert.Equal("1.0.0", (string?)body["maintenance_info"]?["version"]);
    }

    [Fact]
    public async Task Fetch_DuringAnUpdate_Returns422ConcurrencyError()
    {
        var update = await Client.PatchAsJsonAsync($"/v2/service_instances/{instance.InstanceId}?accepts_incomplete=true",
            new { service_id = ServiceId, parameters = new { max_connections = 62 } });
        await update.AcceptedOperation();

        var response = await Fetch(instance.InstanceId);

        await response.AssertOsbError(HttpStatusCode.UnprocessableEntity, "ConcurrencyError");
        await Fixture.AssertEnds(instance.InstanceId, HttpStatusCode.OK, "succeeded");
        var after = await (await Fetch(instance.InstanceId)).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(62, (int?)after["parameters"]?["max_connections"]);
    }

    [Fact]
    public async Task Fetch_Unknown_Returns404()
    {
        var response = await Fetch(Guid.NewGuid());

        await response.AssertOsbError(HttpStatusCode.NotFound, "NotFound");
    }

    private Task<HttpResponseMessage> Fetch(Guid instanceId) => Client.GetAsync($"/v2/service_instances/{instanceId}");
}
