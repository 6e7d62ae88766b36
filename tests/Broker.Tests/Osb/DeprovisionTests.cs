using System.Net;
using EventSourced.Broker.Tests.Failures;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Osb;

/// <summary><c>DELETE /v2/service_instances/{id}</c>: asynchronous only, refused while provisioning, idempotent while it runs.</summary>
public sealed class DeprovisionTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private HttpClient Client => fixture.Broker.Client;

    [Fact]
    public async Task Deprovision_UnknownInstance_Returns410()
    {
        var response = await fixture.Refused(client => client.Deprovision(Guid.NewGuid()));

        var body = await response.AssertStatus(HttpStatusCode.Gone);
        Assert.Empty(body);
    }

    [Theory]
    [InlineData("accepts_incomplete=true&plan_id=" + SmallPlanId, "service_id")]
    [InlineData("accepts_incomplete=true&service_id=" + ServiceId, "plan_id")]
    public async Task Deprovision_MissingServiceOrPlanId_Returns400(string query, string missing)
    {
        var response = await fixture.Refused(client => client.DeleteAsync($"/v2/service_instances/{Guid.NewGuid()}?{query}"));

        var body = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains(missing, (string?)body["description"]);
    }

    [Fact]
    public async Task Deprovision_WithoutAcceptsIncomplete_Returns422AsyncRequired()
    {
        var instanceId = Guid.NewGuid();
        await (await Client.Provision(instanceId)).AcceptedOperation();

        var response = await fixture.RefusedWhileRunning(client =>
            client.DeleteAsync($"/v2/service_instances/{instanceId}?service_id={ServiceId}&plan_id={SmallPlanId}"));

        await response.AssertOsbError(HttpStatusCode.UnprocessableEntity, "AsyncRequired");
        await fixture.AssertEnds(instanceId, HttpStatusCode.OK, "succeeded");
    }

    [Fact]
    public async Task Deprovision_WhileProvisioning_CancelsItAndCleansUp()
    {
        var instanceId = Guid.NewGuid();
        var provision = await (await Client.Provision(instanceId)).AcceptedOperation();
        // Something to clean up: the provisioning has started the instance's server (and is still running).
        await InstanceStream.WaitFor<ServerProvisioned>(fixture.Environment, instanceId, fixture.Broker);
        var server = (await fixture.Environment.InstanceEvents(instanceId)).OfType<ServerProvisioned>().Single();
        var directory = Path.Combine(fixture.Environment.DataRoot, instanceId.ToString());
        Assert.True(Directory.Exists(directory), directory);
        Assert.True(await Answers(server.Port), $"nothing listens on the new server's port {server.Port}");

        var operation = await (await Client.Deprovision(instanceId)).AcceptedOperation();

        Assert.NotEqual(provision, operation);
        await fixture.AssertEnds(instanceId, HttpStatusCode.Gone, state: null);
        var cancelled = await Client.GetAsync($"/v2/service_instances/{instanceId}/last_operation?operation={provision}");
        Assert.Contains("\"failed\"", await cancelled.Content.ReadAsStringAsync());
        Assert.False(Directory.Exists(directory), directory);
        Assert.False(await Answers(server.Port), $"a server still listens on port {server.Port}");
    }

    [Fact]
    public async Task Deprovision_Provisioned_Returns202AndRepeatedDeleteReturnsSameOperation()
    {
        var instanceId = Guid.NewGuid();
        var provision = await (await Client.Provision(instanceId)).AcceptedOperation();
        await fixture.AssertEnds(instanceId, HttpStatusCode.OK, "succeeded");

        var operation = await (await Client.Deprovision(instanceId)).AcceptedOperation();
        var again = await (await Client.Deprovision(instanceId)).AcceptedOperation();

        Assert.NotEqual(provision, operation);
        Assert.Equal(operation, again);
        await fixture.AssertEnds(instanceId, HttpStatusCode.Gone, state: null);
    }

    private static async Task<bool> Answers(int port)
    {
        using var client = new System.Net.Sockets.TcpClient();
        try
        {
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused)
        {
            return false;
        }
    }
}
