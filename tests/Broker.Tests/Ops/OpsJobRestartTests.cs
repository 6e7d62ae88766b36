using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Ops;

/// <summary>A provisioning job whose broker is killed midway (real servers): the next broker on the same state finishes it.</summary>
public sealed class OpsJobRestartTests : IAsyncLifetime
{
    private BrokerEnvironment _environment = null!;

    public async Task InitializeAsync() => _environment = await BrokerEnvironment.Create();

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public async Task ProvisionJob_BrokerKilledMidway_StillSucceedsAfterTheRestart_EachStepOnce()
    {
        var instanceId = Guid.NewGuid();
        Guid jobId;
        await using (var first = await BrokerProcess.Start(_environment))
        {
            jobId = await (await first.OpsClient.ProvisionJob(instanceId)).JobId();
            await Eventually.Until(() => _environment.InstanceEvents(instanceId), events => events.OfType<StorageProvisioned>().Any(),
                $"storage of instance {instanceId}", seconds: 60);
            await first.Kill();
        }
        Assert.DoesNotContain(await _environment.InstanceEvents(instanceId), e => e is ServiceInstanceProvisioned);

        await using var second = await BrokerProcess.Start(_environment);
        var job = await second.OpsClient.JobWhenFinished(jobId, details: () => second.Output);

        Assert.True((string?)job["state"] == "succeeded", $"{job}\n{second.Output}");
        var events = (await _environment.InstanceEvents(instanceId)).Select(e => e.GetType().Name).ToList();
        foreach (var once in new[] { nameof(StorageProvisioned), nameof(ServerProvisioned), nameof(DatabaseProvisioned), nameof(ServiceInstanceProvisioned) })
            Assert.Equal(1, events.Count(e => e == once));
        Assert.Equal(events, job["steps"]!.AsArray().Select(s => (string)s!["name"]!));
    }
}
