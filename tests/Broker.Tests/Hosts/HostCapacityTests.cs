using System.Net;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Projections.Hosts;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Hosts;

/// <summary>
/// A host with a capacity takes that many instances: the next provisioning is refused with the hosts' figures and
/// records nothing, until one is gone. A host name that cannot name a queue stops the worker at start.
/// </summary>
public sealed class HostCapacityTests
{
    [Fact]
    public async Task AFullHost_RefusesTheNextProvisioning_NothingRecorded_AndTakesOneAgainWhenOneIsGone()
    {
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["Provisioners__Backend"] = "simulated", ["Provisioners__Host__Name"] = "small-host", ["Provisioners__Host__Capacity"] = "2",
        });
        await using var broker = await BrokerProcess.Start(environment);
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        foreach (var id in new[] { first, second })
        {
            await (await broker.Client.Provision(id)).AcceptedOperation();
            Assert.Equal("succeeded", (await broker.Client.PollUntilDone(id)).State);
        }

        var refused = await environment.Refused(broker.Client, client => client.Provision(Guid.NewGuid()));

        var body = await refused.AssertOsbError(HttpStatusCode.UnprocessableEntity, error: null);
        Assert.Equal("Every worker host is full: small-host 2/2.", (string?)body["description"]);
        var host = JsonNode.Parse(await broker.Client.GetStringAsync("/admin/hosts"))!.AsArray().Single()!;
        Assert.Equal(("small-host", 2, 2, true), ((string?)host["name"], (int?)host["capacity"], (int)host["instances"]!, (bool)host["live"]!));

        await (await broker.Client.Deprovision(first)).AcceptedOperation();
        Assert.Equal(HttpStatusCode.Gone, (await broker.Client.PollUntilDone(first)).Status);
        // Placement reads the hosts again once its reading is older than its lifetime.
        await Task.Delay(HostDirectory.PlacementReadingLifetime);
        await (await broker.Client.Provision(Guid.NewGuid())).AcceptedOperation();
    }

    [Theory]
    [InlineData("Node_A")]
    [InlineData("-node")]
    [InlineData("node a")]
    public async Task AHostNameThatCannotNameAQueue_StopsTheWorkerAtStart_NamingTheSetting(string name)
    {
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["Provisioners__Backend"] = "simulated", ["Provisioners__Host__Name"] = name,
        });

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => BrokerProcess.Start(environment));

        Assert.StartsWith("The broker exited with ", refused.Message);
        Assert.Contains("Provisioners:Host:Name must be 1 to 63 lower-case letters, digits and dashes", refused.Message);
    }
}
