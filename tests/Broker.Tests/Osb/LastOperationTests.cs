using System.Net;
using EventSourced.Broker.Tests.Hosting;

namespace EventSourced.Broker.Tests.Osb;

/// <summary><c>GET /v2/service_instances/{id}/last_operation</c>: what a platform polls after every 202.</summary>
public sealed class LastOperationTests(SimulatedStepsFixture fixture) : IClassFixture<SimulatedStepsFixture>
{
    private HttpClient Client => fixture.Broker.Client;

    [Fact]
    public async Task LastOperation_UnknownInstance_Returns404()
    {
        var response = await fixture.Refused(client => client.LastOperation(Guid.NewGuid()));

        await response.AssertOsbError(HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task LastOperation_RightAfterProvision_ReturnsInProgressWithRetryAfter()
    {
        var instanceId = Guid.NewGuid();
        await (await Client.Provision(instanceId)).AcceptedOperation();

        var response = await Client.LastOperation(instanceId);

        var body = await response.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("in progress", (string?)body["state"]);
        Assert.NotNull(response.Headers.RetryAfter?.Delta);
        await fixture.AssertEnds(instanceId, HttpStatusCode.OK, "succeeded");
    }

    [Fact]
    public async Task LastOperation_AfterProvisionSucceeded_ReturnsSucceeded()
    {
        var instanceId = Guid.NewGuid();
        await (await Client.Provision(instanceId)).AcceptedOperation();
        await fixture.AssertEnds(instanceId, HttpStatusCode.OK, "succeeded");

        var response = await Client.LastOperation(instanceId);

        var body = await response.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("succeeded", (string?)body["state"]);
        Assert.Null(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task LastOperation_ForProvisionOperationWhileDeprovisioning_ReportsThatOperation()
    {
        var instanceId = Guid.NewGuid();
        var provision = await (await Client.Provision(instanceId)).AcceptedOperation();
        await fixture.AssertEnds(instanceId, HttpStatusCode.OK, "succeeded");
        await (await Client.Deprovision(instanceId)).AcceptedOperation();

        var response = await Client.LastOperation(instanceId, provision);

        var body = await response.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("succeeded", (string?)body["state"]);
        Assert.Equal("Provisioned", (string?)body["description"]);
        await fixture.AssertEnds(instanceId, HttpStatusCode.Gone, state: null);
    }

    [Fact]
    public async Task LastOperation_UnknownOperation_Returns400()
    {
        var instanceId = Guid.NewGuid();
        await (await Client.Provision(instanceId)).AcceptedOperation();

        var response = await fixture.RefusedWhileRunning(client => client.LastOperation(instanceId, Guid.NewGuid().ToString()));

        await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        await fixture.AssertEnds(instanceId, HttpStatusCode.OK, "succeeded");
    }

    [Fact]
    public async Task LastOperation_AfterDeprovision_Returns410()
    {
        var instanceId = Guid.NewGuid();
        await (await Client.Provision(instanceId)).AcceptedOperation();
        await fixture.AssertEnds(instanceId, HttpStatusCode.OK, "succeeded");
        await (await Client.Deprovision(instanceId)).AcceptedOperation();
        await fixture.AssertEnds(instanceId, HttpStatusCode.Gone, state: null);

        var response = await Client.LastOperation(instanceId);

        var body = await response.AssertStatus(HttpStatusCode.Gone);
        Assert.Empty(body);
    }
}
