using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Admin;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Failures;

/// <summary>
/// Operations whose steps stop moving still end: a step whose command was lost is sent again by the watchdog's nudge,
/// and an operation whose rollback is stuck past its deadline and grace period is recorded as failed.
/// </summary>
public sealed class StalledOperationTests
{
    private const string ServerStepQueue = "server-sub-provisioner";

    [Fact]
    public async Task Provision_ServerStepCommandLost_WatchdogNudgesTheSagaAndProvisioningSucceeds()
    {
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["Provisioners__NudgeAfter"] = "00:00:02",
            ["Provisioners__Local__StartTimeout"] = "00:05:00",
        });
        var instanceId = Guid.NewGuid();
        await using (DedicatedServers.HoldPortAllocationLock(environment))
        {
            await using var first = await BrokerProcess.Start(environment);
            Assert.Equal(HttpStatusCode.Accepted, (await first.Client.Provision(instanceId)).StatusCode);
            // The server step now waits for the port lock, its command unacknowledged; the broker dies, the command goes
            // back to its queue, and is lost there (as one that ran out of retries while PostgreSQL restarted would be).
            // (Nudged every 2 s meanwhile: each attempt waits for the lock too.)
            await Eventually.Until(() => MessagesIn(environment, ServerStepQueue, "messages_unacknowledged"), n => n >= 1, "the server step under way");
            await first.Kill();
        }
        await Eventually.Until(() => MessagesIn(environment, ServerStepQueue, "messages_unacknowledged"), n => n == 0, "the killed broker's deliveries returned");
        await Purge(environment, ServerStepQueue);

        await using var second = await BrokerProcess.Start(environment);
        var done = await second.Client.PollUntilDone(instanceId, TimeSpan.FromSeconds(60));

        var events = await InstanceStream.Events(environment, instanceId);
        Assert.True(done.State == "succeeded", $"{done}\n{InstanceStream.Describe(events)}\n{second.Output}");
        Assert.Single(events.OfType<ServerProvisioned>());
        Assert.Contains("its step is sent again", second.Output);
    }

    [Fact]
    public async Task Provision_RollbackStuckPastDeadlineAndGrace_WatchdogRecordsItFailed_AndTheLateServerIsRemovedEvenAfterACrash()
    {
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            // Long enough for the storage step to finish first on a loaded 2-core machine (it took over 8 s there).
            ["Provisioners__OperationTimeout"] = "00:00:20",
            ["Catalog__Services__0__Plans__0__MaximumPollingDuration"] = "20",
            ["Provisioners__RollbackTimeout"] = "00:00:03",
            ["Provisioners__Local__StartTimeout"] = "00:05:00",
        });
        await using var broker = await BrokerProcess.Start(environment);
        var instanceId = Guid.NewGuid();
        (HttpStatusCode Status, string? State, string? Description) done;
        await using (DedicatedServers.HoldPortAllocationLock(environment))
        {
            // The server step waits for the port lock, and the rollback's server removal waits for the server step.
            Assert.Equal(HttpStatusCode.Accepted, (await broker.Client.Provision(instanceId)).StatusCode);
            await InstanceStream.WaitFor<StorageProvisioned>(environment, instanceId, broker, seconds: 18);
            done = await broker.Client.PollUntilDone(instanceId, TimeSpan.FromSeconds(60));
        }
        var events = await InstanceStream.Events(environment, instanceId);
        Assert.True(done.State == "failed", $"{done}\n{InstanceStream.Describe(events)}\n{broker.Output}");
        Assert.Contains("grace period", done.Description);
        Assert.IsType<ServiceInstanceProvisioningFailed>(events[^1]);
        Assert.DoesNotContain(events, e => e is ServerProvisioned or StorageDeprovisioned);

        // Released, the late server step starts its server: its success is refused and the server recorded as an orphan,
        // removed from the log even when the broker dies at once (the removal runs again after the restart).
        await InstanceStream.WaitFor<OrphanedResourceFound>(environment, instanceId, broker, seconds: 30);
        await broker.Kill();
        await using var restarted = await BrokerProcess.Start(environment);
        await InstanceStream.WaitFor<OrphanedResourceRemoved>(environment, instanceId, restarted, seconds: 30);
        events = await InstanceStream.Events(environment, instanceId);
        var removed = Assert.Single(events.OfType<OrphanedResourceRemoved>());
        Assert.Equal((ResourceKind.Server, false), (removed.Resource, removed.Kept));
        Assert.False(await DedicatedServers.AnyAnswers(environment), "no server of the failed provisioning answers");
    }

    private static readonly HttpClient Management = new()
    {
        BaseAddress = new Uri($"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}/"),
        DefaultRequestHeaders =
        {
            Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestSettings.RabbitUsername}:{TestSettings.RabbitPassword}"))),
        },
    };

    private static async Task<long> MessagesIn(BrokerEnvironment environment, string queue, string counter)
    {
        var response = await Management.GetAsync($"api/queues/{environment.VirtualHost.Name}/{queue}");
        response.EnsureSuccessStatusCode();
        return (long?)JsonNode.Parse(await response.Content.ReadAsStringAsync())?[counter] ?? 0;
    }

    private static async Task Purge(BrokerEnvironment environment, string queue) =>
        (await Management.DeleteAsync($"api/queues/{environment.VirtualHost.Name}/{queue}/contents")).EnsureSuccessStatusCode();
}
