using System.Net;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.ServiceInstances;
using static EventSourced.Broker.Tests.Admin.DedicatedServers;

namespace EventSourced.Broker.Tests.Admin;

/// <summary>
/// A dedicated server's postmaster SIGKILLed behind the broker's back: the resurrector starts it again on its port and
/// records it (instance stream, <c>GET /admin/resurrections</c>, history); switched off, the server stays down.
/// </summary>
public sealed class ResurrectorTests
{
    private static Dictionary<string, string> Resurrector(bool enabled) => new()
    {
        ["Provisioners__Local__Resurrector__Enabled"] = enabled ? "true" : "false",
        ["Provisioners__Local__Resurrector__Interval"] = "00:00:01",
    };

    [Fact]
    public async Task KilledPostmaster_IsStartedAgainOnItsPort_RecordedInItsStream_AndShownOnAdmin()
    {
        await using var environment = await BrokerEnvironment.Create(Resurrector(enabled: true));
        await using var broker = await BrokerProcess.Start(environment);
        var instanceId = await ProvisionOne(broker);
        var port = await PortOf(environment, instanceId);
        var killed = PostmasterPid(environment, instanceId);

        await KillPostmaster(environment, instanceId);

        await Until(async () => await Answers(port) && (await environment.InstanceEvents(instanceId)).OfType<ServerResurrected>().Any(),
            $"the server of {instanceId} answers on port {port} again and its resurrection is recorded\n{broker.Output}");
        Assert.NotEqual(killed, PostmasterPid(environment, instanceId));
        var resurrected = (await environment.InstanceEvents(instanceId)).OfType<ServerResurrected>().Single();
        Assert.Equal((instanceId, port), (resurrected.InstanceId, resurrected.Port));
        Assert.Contains($"postmaster {killed} is gone", resurrected.Reason);
        // Logged once the resurrection is recorded: the line may reach the broker's output a moment after the event.
        await Until(() => Task.FromResult(broker.Output.Contains($"Resurrected the server of instance {instanceId} on port {port}")),
            $"the resurrection of {instanceId} logged\n{broker.Output}");

        var resurrections = JsonArrayOf(await (await broker.Client.GetAsync("/admin/resurrections")).Content.ReadAsStringAsync());
        Assert.Contains(resurrections, r => (string?)r!["instanceId"] == instanceId.ToString() && (int)r["port"]! == port);
        var history = JsonArrayOf(await (await broker.Client.GetAsync($"/admin/instances/{instanceId}/history")).Content.ReadAsStringAsync());
        Assert.Equal(nameof(ServerResurrected), (string?)history[^1]!["type"]);
        // The instance works as before: no operation was started, and it can still be deprovisioned.
        var last = await (await broker.Client.LastOperation(instanceId)).AssertStatus(HttpStatusCode.OK);
        Assert.Equal("succeeded", (string?)last["state"]);
        await Deprovision(broker, instanceId);
    }

    [Fact]
    public async Task WithTheResurrectorOff_AKilledPostmasterStaysDown_AndNothingIsRecorded()
    {
        await using var environment = await BrokerEnvironment.Create(Resurrector(enabled: false));
        await using var broker = await BrokerProcess.Start(environment);
        var instanceId = await ProvisionOne(broker);
        var port = await PortOf(environment, instanceId);

        await KillPostmaster(environment, instanceId);
        // Five of the intervals it would have used: long enough for a resurrector that is on (the test above) to act.
        await Task.Delay(TimeSpan.FromSeconds(5));

        Assert.False(await Answers(port), broker.Output);
        Assert.DoesNotContain(await environment.InstanceEvents(instanceId), e => e is ServerResurrected);
        Assert.Contains("The server resurrector is off", broker.Output);
        Assert.Empty(JsonArrayOf(await (await broker.Client.GetAsync("/admin/resurrections")).Content.ReadAsStringAsync()));
        // Still seen as drift, for an operator to act on.
        Assert.Contains("MissingServer", Kinds(await DriftOf(broker, instanceId)));
    }

    private static System.Text.Json.Nodes.JsonArray JsonArrayOf(string text) => System.Text.Json.Nodes.JsonNode.Parse(text)!.AsArray();
}
