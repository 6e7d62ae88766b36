using EventSourced.TestSupport;
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

    private Task WaitForEvent<T>(Guid instanceId) where T : class, IDomainEvent =>
        Eventually.Until(() => _environment.InstanceEvents(instanceId), events => events.OfType<T>().Any(),
            $"a {typeof(T).Name} in instance {instanceId}'s stream", seconds: 60);
}
