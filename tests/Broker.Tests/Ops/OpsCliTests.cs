using System.Net;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Tests.Ops;

/// <summary>
/// <c>provision</c> and <c>deprovision</c> of the broker's CLI against a broker (simulated backend), over the ops API: they
/// follow the job step by step, exit 0 only when it succeeded, and print the finished job as JSON for scripts.
/// </summary>
public sealed class OpsCliTests(SimulatedBrokerFixture fixture) : IClassFixture<SimulatedBrokerFixture>
{
    [Fact]
    public async Task Provision_ThenDeprovision_ShowEachStep_AndExit0()
    {
        var instanceId = Guid.NewGuid();

        var provisioned = await Cli.Against(fixture.Broker, fixture.Environment, "provision", "owner-cli", instanceId.ToString(), "simulated");

        Assert.True(provisioned.ExitCode == 0, provisioned.ToString());
        foreach (var step in new[] { nameof(StorageProvisioned), nameof(ServerProvisioned), nameof(DatabaseProvisioned), nameof(ServiceInstanceProvisioned) })
            Assert.Contains(step, provisioned.Output);
        Assert.Contains("provision succeeded", provisioned.Output);
        Assert.Equal("succeeded", (await fixture.Broker.Client.PollUntilDone(instanceId)).State);

        var deprovisioned = await Cli.Against(fixture.Broker, fixture.Environment, "deprovision", instanceId.ToString());

        Assert.True(deprovisioned.ExitCode == 0, deprovisioned.ToString());
        Assert.Contains(nameof(ServiceInstanceDeprovisioned), deprovisioned.Output);
        Assert.Equal(HttpStatusCode.Gone, (await fixture.Broker.Client.LastOperation(instanceId)).StatusCode);
    }

    [Fact]
    public async Task Provision_OutputJson_PrintsTheFinishedJobAlone()
    {
        var instanceId = Guid.NewGuid();

        var run = await Cli.Against(fixture.Broker, fixture.Environment, "provision", "--output", "json", "owner-cli", instanceId.ToString());

        Assert.True(run.ExitCode == 0, run.ToString());
        var job = JsonNode.Parse(run.Output)!;
        Assert.Equal("succeeded", (string?)job["state"]);
        Assert.Equal(instanceId.ToString(), (string?)job["instanceId"]);
        Assert.Equal("owner-cli", (string?)job["ownerId"]);
        Assert.Equal(nameof(ServiceInstanceProvisioned), (string?)job["steps"]!.AsArray()[^1]!["name"]);
    }

    [Theory]
    [InlineData("provision", "bad owner", "{id}", 2, "ownerId must be")]
    [InlineData("provision", "owner-cli", "not-a-guid", 2, "instanceId must be a GUID")]
    [InlineData("provision", "owner-cli", "{id}", 2, "guestLocation 'rave'", "rave")]
    [InlineData("deprovision", "{id}", null, 2, "does not exist")]
    public async Task RefusedJob_ExitsNonZero_SayingWhy_AndRecordsNothing(string command, string first, string? second, int exitCode, string why, string? third = null)
    {
        var id = Guid.NewGuid().ToString();
        string[] args = [command, .. new[] { first, second, third }.OfType<string>().Select(a => a.Replace("{id}", id))];
        var before = await fixture.Environment.EventCount();

        var run = await Cli.Against(fixture.Broker, fixture.Environment, args);

        Assert.True(run.ExitCode == exitCode, run.ToString());
        Assert.Contains(why, run.Error);
        Assert.Equal(before, await fixture.Environment.EventCount());
    }

    [Fact]
    public async Task WrongCredentials_Exit3_AndTheJsonOutputSaysUnauthorized()
    {
        var run = await Cli.Start(new Dictionary<string, string>
        {
            ["Ops__Url"] = fixture.Broker.BaseAddress.ToString(), ["Ops__Username"] = fixture.Environment.Username, ["Ops__Password"] = fixture.Environment.Password,
        }, "provision", "-o", "json", "owner-cli", Guid.NewGuid().ToString());

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Equal("Unauthorized", (string?)JsonNode.Parse(run.Output)!["error"]);
    }
}
