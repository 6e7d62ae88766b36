using System.Net;
using EventSourced.Broker.Tests.Dashboard;
using EventSourced.Broker.Tests.Hosting;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Osb;

/// <summary><c>PUT /v2/service_instances/{id}</c>: asynchronous only, validated before anything is recorded, idempotent.</summary>
public sealed class ProvisionTests(SimulatedStepsFixture fixture) : IClassFixture<SimulatedStepsFixture>
{
    private HttpClient Client => fixture.Broker.Client;

    [Fact]
    public async Task Provision_Async_Returns202WithOperation()
    {
        var instanceId = Guid.NewGuid();

        var response = await Client.Provision(instanceId);

        await response.AcceptedOperation();
        var body = await response.Json();
        SignedLinks.AssertFor((string?)body["dashboard_url"], fixture.Broker.BaseAddress, instanceId);
        await fixture.AssertEnds(instanceId, HttpStatusCode.OK, "succeeded");
    }

    [Theory]
    [InlineData("")]
    [InlineData("accepts_incomplete=false")]
    public async Task Provision_WithoutAcceptsIncomplete_Returns422AsyncRequired(string query)
    {
        var response = await fixture.Refused(client => client.PutJson(Guid.NewGuid().ToString(), Body(), query));

        await response.AssertOsbError(HttpStatusCode.UnprocessableEntity, "AsyncRequired");
    }

    [Fact]
    public async Task Provision_MalformedJson_Returns400()
    {
        var response = await fixture.Refused(client => client.PutJson(Guid.NewGuid().ToString(), """{"service_id": """));

        await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
    }

    [Fact]
    public async Task Provision_JsonArrayBody_Returns400()
    {
        var response = await fixture.Refused(client => client.PutJson(Guid.NewGuid().ToString(), $"[{Body()}]"));

        await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
    }

    [Theory]
    [InlineData("service_id")]
    [InlineData("plan_id")]
    [InlineData("organization_guid")]
    [InlineData("space_guid")]
    public async Task Provision_MissingRequiredField_Returns400NamingIt(string field)
    {
        var response = await fixture.Refused(client => client.PutJson(Guid.NewGuid().ToString(), Body(without: field)));

        var body = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains(field, (string?)body["description"]);
    }

    [Fact]
    public async Task Provision_UnknownService_Returns400()
    {
        var unknown = Guid.NewGuid().ToString();
        var response = await fixture.Refused(client => client.PutJson(Guid.NewGuid().ToString(), Body(serviceId: unknown)));

        var body = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains(unknown, (string?)body["description"]);
    }

    [Fact]
    public async Task Provision_UnknownPlan_Returns400()
    {
        var unknown = Guid.NewGuid().ToString();
        var response = await fixture.Refused(client => client.PutJson(Guid.NewGuid().ToString(), Body(planId: unknown)));

        var body = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains(unknown, (string?)body["description"]);
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("\"max_connections=10\"")]
    [InlineData("42")]
    public async Task Provision_ParametersNotAnObject_Returns400(string parameters)
    {
        var response = await fixture.Refused(client => client.PutJson(Guid.NewGuid().ToString(), Body(parameters: parameters)));

        var body = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains("parameters", (string?)body["description"]);
    }

    [Fact]
    public async Task Provision_NonGuidInstanceId_Returns400()
    {
        var response = await fixture.Refused(client => client.PutJson("not-a-guid", Body()));

        var body = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains("not-a-guid", (string?)body["description"]);
    }

    [Fact]
    public async Task Provision_IdenticalWhileInProgress_Returns202WithSameOperation()
    {
        var instanceId = Guid.NewGuid();
        var operation = await (await Client.Provision(instanceId)).AcceptedOperation();

        var again = await Client.Provision(instanceId);

        Assert.Equal(operation, await again.AcceptedOperation());
        await fixture.AssertEnds(instanceId, HttpStatusCode.OK, "succeeded");
    }

    [Fact]
    public async Task Provision_IdenticalAfterSuccess_Returns200()
    {
        var instanceId = Guid.NewGuid();
        await (await Client.Provision(instanceId)).AcceptedOperation();
        await fixture.AssertEnds(instanceId, HttpStatusCode.OK, "succeeded");

        var response = await fixture.Refused(client => client.Provision(instanceId));

        var body = await response.AssertStatus(HttpStatusCode.OK);
        SignedLinks.AssertFor((string?)body["dashboard_url"], fixture.Broker.BaseAddress, instanceId);
        Assert.Null(body["operation"]);
    }

    [Fact]
    public async Task Provision_SameIdWithAnotherPlan_Returns409()
    {
        var instanceId = Guid.NewGuid();
        await (await Client.Provision(instanceId)).AcceptedOperation();

        var response = await fixture.RefusedWhileRunning(client => client.Provision(instanceId, ProvisionBody(LargePlanId)));

        await response.AssertOsbError(HttpStatusCode.Conflict, "Conflict");
        await fixture.AssertEnds(instanceId, HttpStatusCode.OK, "succeeded");
    }

    [Fact]
    public async Task Provision_UnknownExtraFields_AreIgnored()
    {
        var instanceId = Guid.NewGuid();
        var body = Body().TrimEnd('}') + """, "maintenance_info": {"version": "1.0.0"}, "color": "blue", "nested": {"a": [1]}}""";

        await (await Client.PutJson(instanceId.ToString(), body)).AcceptedOperation();

        await fixture.AssertEnds(instanceId, HttpStatusCode.OK, "succeeded");
    }

    private static string Body(string? without = null, string serviceId = ServiceId, string planId = SmallPlanId, string? parameters = null)
    {
        var fields = new Dictionary<string, string>
        {
            ["service_id"] = $"\"{serviceId}\"",
            ["plan_id"] = $"\"{planId}\"",
            ["organization_guid"] = "\"org-guid\"",
            ["space_guid"] = "\"space-guid\"",
        };
        if (parameters is not null) fields["parameters"] = parameters;
        if (without is not null) fields.Remove(without);
        return "{" + string.Join(", ", fields.Select(f => $"\"{f.Key}\": {f.Value}")) + "}";
    }
}
