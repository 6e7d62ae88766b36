using System.Net;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Tests.EndToEnd;

/// <summary>A broker killed in the middle of provisioning: the next broker on the same state finishes the job.</summary>
public sealed class BrokerRestartTests : IAsyncLifetime
{
    private BrokerEnvironment _environment = null!;

    public async Task InitializeAsync() => _environment = await BrokerEnvironment.Create();

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public async Task Provision_BrokerKilledMidProvisioning_OperationStillCompletesOnce()
    {
        var instanceId = Guid.NewGuid();
        await using (var first = await BrokerProcess.Start(_environment))
        {
            Assert.Equal(HttpStatusCode.Accepted, (await first.Client.Provision(instanceId)).StatusCode);
            await WaitForEvent<StorageProvisioned>(instanceId);
            await first.Kill();
        }
        Assert.Null(await Find<ServiceInstanceProvisioned>(instanceId));

        await using var second = await BrokerProcess.Start(_environment);
        var done = await second.Client.PollUntilDone(instanceId);
        Assert.True(done.State == "succeeded", $"{done}\n{second.Output}");

        var events = (await _environment.InstanceEvents(instanceId)).Select(e => e.GetType().Name).ToList();
        foreach (var once in new[] { nameof(StorageProvisioned), nameof(ServerProvisioned), nameof(DatabaseProvisioned), nameof(ServiceInstanceProvisioned) })
            Assert.Equal(1, events.Count(e => e == once));
    }

    private async Task<T?> Find<T>(Guid instanceId) where T : class, IDomainEvent =>
        (await _environment.InstanceEvents(instanceId)).OfType<T>().FirstOrDefault();

    private async Task WaitForEvent<T>(Guid instanceId) where T : class, IDomainEvent
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await Find<T>(instanceId) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no {typeof(T).Name} within 60 s");
            await Task.Delay(20);
        }
    }
}
