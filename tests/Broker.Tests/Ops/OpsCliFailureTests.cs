using System.Text.Json.Nodes;

namespace EventSourced.Broker.Tests.Ops;

/// <summary>A job that fails (a simulated IaaS without room for one more server): the CLI says why and exits 1.</summary>
public sealed class OpsCliFailureTests : IAsyncLifetime
{
    private BrokerEnvironment _environment = null!;
    private BrokerProcess _broker = null!;

    public async Task InitializeAsync()
    {
        _environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["Provisioners__Backend"] = "simulated", ["Provisioners__Simulated__Capacity"] = "0",
        });
        _broker = await BrokerProcess.Start(_environment);
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        await _environment.DisposeAsync();
    }

    [Fact]
    public async Task Provision_JobFails_Exit1_WithTheJobsError()
    {
        var text = await Cli.Against(_broker, _environment, "provision", "owner-cli", Guid.NewGuid().ToString());
        var json = await Cli.Against(_broker, _environment, "provision", "-o", "json", "owner-cli", Guid.NewGuid().ToString());

        Assert.True(text.ExitCode == 1, text.ToString());
        Assert.Contains("provision failed", text.Output);
        Assert.Contains("capacity of 0 simulated servers reached", text.Output);
        Assert.True(json.ExitCode == 1, json.ToString());
        var job = JsonNode.Parse(json.Output)!;
        Assert.Equal("failed", (string?)job["state"]);
        Assert.Contains("capacity of 0 simulated servers reached", (string?)job["error"]);
    }
}
