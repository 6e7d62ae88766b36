using System.Net;
using EventSourced.Broker.Tests.Admin;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Tests.Failures;

/// <summary>A step that hangs past the operation timeout: the watchdog times the operation out and the saga rolls it back.</summary>
public sealed class OperationTimeoutTests
{
    [Fact]
    public async Task Provision_ServerStepHangsPastTimeout_WatchdogTimesOutAndRollbackUndoesTheLateServer()
    {
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["Provisioners__OperationTimeout"] = "00:00:03",
            // The plan's maximum polling duration is the deadline of its operations: dedicated-small gets 3 s here.
            ["Catalog__Services__0__Plans__0__MaximumPollingDuration"] = "3",
            // How long the server step waits for the port allocation lock before giving up: far longer than the test.
            ["Provisioners__Local__StartTimeout"] = "00:05:00",
        });
        await using var broker = await BrokerProcess.Start(environment);
        var instanceId = Guid.NewGuid();

        // Another process sharing the data root holds the port allocation lock, so the server step cannot get a port.
        await using (DedicatedServers.HoldPortAllocationLock(environment))
        {
            Assert.Equal(HttpStatusCode.Accepted, (await broker.Client.Provision(instanceId)).StatusCode);
            await InstanceStream.WaitFor<ServiceInstanceOperationTimedOut>(environment, instanceId, broker, seconds: 30);
        }
        var failed = await broker.Client.PollUntilDone(instanceId, TimeSpan.FromSeconds(60));

        Assert.True(failed.State == "failed", $"{failed}\n{InstanceStream.Describe(await InstanceStream.Events(environment, instanceId))}\n{broker.Output}");
        Assert.Contains("timed out", failed.Description);
        var events = await InstanceStream.Events(environment, instanceId);
        // Storage is usually recorded before the timeout; on a loaded machine its late success is refused and undone instead.
        var rollback = events.Where(e => e is ServiceInstanceOperationTimedOut or DatabaseDeprovisioned or ServerDeprovisioned
            or StorageDeprovisioned or ServiceInstanceProvisioningFailed).ToList();
        Assert.True(rollback is [ServiceInstanceOperationTimedOut, DatabaseDeprovisioned, ServerDeprovisioned, StorageDeprovisioned,
            ServiceInstanceProvisioningFailed], InstanceStream.Describe(events));
        Assert.DoesNotContain(events, e => e is ServerProvisioned or ServiceInstanceProvisioned);
        Assert.False(Directory.Exists(Path.Combine(environment.DataRoot, instanceId.ToString())), "the instance's storage is removed");
        Assert.False(await DedicatedServers.AnyAnswers(environment), "the server the hung step started late is stopped again");
    }
}
