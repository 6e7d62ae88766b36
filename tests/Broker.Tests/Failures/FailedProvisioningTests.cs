using System.Net;
using System.Net.Sockets;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.TestSupport;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Tests.Failures;

/// <summary>A sub-provisioner that really fails: what it left behind is rolled back and the instance can still be deleted.</summary>
public sealed class FailedProvisioningTests
{
    [Fact]
    public async Task Provision_ServerPortRangeExhausted_FailsRollsBackStorageAndThenDeprovisionsTo410()
    {
        // The only port the backend may give a server is taken by someone else.
        using var squatter = ListenerOnAServerPort();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port.ToString();
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["Provisioners__Local__PortRangeStart"] = port,
            ["Provisioners__Local__PortRangeEnd"] = port,
        });
        await using var broker = await BrokerProcess.Start(environment);
        var instanceId = Guid.NewGuid();

        Assert.Equal(HttpStatusCode.Accepted, (await broker.Client.Provision(instanceId)).StatusCode);
        var failed = await broker.Client.PollUntilDone(instanceId);

        Assert.True(failed.State == "failed", $"{failed}\n{broker.Output}");
        Assert.Contains("Server provisioning failed", failed.Description);
        Assert.Contains("no free port", failed.Description);
        Assert.False(Directory.Exists(Path.Combine(environment.DataRoot, instanceId.ToString())), "the instance's storage is removed");
        var events = await InstanceStream.Events(environment, instanceId);
        var rollback = events.Where(e => e is ResourceProvisioningFailed or StorageDeprovisioned or ServiceInstanceProvisioningFailed).ToList();
        Assert.True(rollback is [ResourceProvisioningFailed { Resource: ResourceKind.Server }, StorageDeprovisioned, ServiceInstanceProvisioningFailed],
            InstanceStream.Describe(events));
        Assert.DoesNotContain(events, e => e is ServerProvisioned or ServiceInstanceProvisioned);

        Assert.Equal(HttpStatusCode.Accepted, (await broker.Client.Deprovision(instanceId)).StatusCode);
        var gone = await broker.Client.PollUntilDone(instanceId);
        Assert.True(gone.Status == HttpStatusCode.Gone, $"{gone}\n{InstanceStream.Describe(await InstanceStream.Events(environment, instanceId))}\n{broker.Output}");
    }

    /// <summary>A listener on a port a broker may give a server (below the kernel's ephemeral ports, which it refuses).</summary>
    private static TcpListener ListenerOnAServerPort()
    {
        for (var port = 25000 + Random.Shared.Next(0, 500); port < 26000; port++)
            if (LoopbackPort.TryListen(port) is { } listener) return listener;
        throw new InvalidOperationException("no free port in 25000..25999 to squat");
    }
}
