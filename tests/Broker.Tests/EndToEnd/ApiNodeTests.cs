using System.Net;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Tests.EndToEnd;

/// <summary>
/// A node with the provisioning flow disabled records commands; a worker node on the same state carries them out. Made
/// with the deprecated <c>Provisioners:Enabled=false</c>, which still means <c>Broker:Roles=api</c> (Hosting/RoleTests
/// has each role alone).
/// </summary>
public sealed class ApiNodeTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> ApiOnly = new() { ["Provisioners__Enabled"] = "false" };
    private BrokerEnvironment _environment = null!;

    public async Task InitializeAsync() => _environment = await BrokerEnvironment.Create();

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public async Task Provision_OnAnApiNode_StaysInProgressUntilAWorkerNodeRunsIt()
    {
        var instanceId = Guid.NewGuid();
        await using var api = await BrokerProcess.Start(_environment, ApiOnly);

        Assert.Equal(HttpStatusCode.Accepted, (await api.Client.Provision(instanceId)).StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var waiting = await (await api.Client.LastOperation(instanceId)).Json();
        Assert.True((string?)waiting["state"] == "in progress", $"{waiting}\n{api.Output}");
        // The API node ran nothing of the flow: the stream holds only the request, and no server directory exists.
        Assert.IsType<ServiceInstanceProvisioningRequested>(Assert.Single(await _environment.InstanceEvents(instanceId)));
        Assert.False(Directory.Exists(Path.Combine(_environment.DataRoot, instanceId.ToString())), api.Output);

        await using var worker = await BrokerProcess.Start(_environment);
        var done = await api.Client.PollUntilDone(instanceId);
        Assert.True(done.State == "succeeded", $"{done}\n{api.Output}\n{worker.Output}");
    }
}
