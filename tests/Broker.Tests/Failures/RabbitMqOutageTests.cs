using System.Collections.Concurrent;
using System.Net;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Failures;

/// <summary>
/// The broker's RabbitMQ node (its own private node, stopped for real) goes away for 30 s while platforms keep
/// provisioning, then comes back: the API answers and accepts throughout, and every operation accepted meanwhile is
/// carried out exactly once once the bus is back.
/// </summary>
public sealed class RabbitMqOutageTests
{
    /// <summary>How long the node stays down; <c>FAULTS_RABBITMQ_DOWN_SECONDS</c> shortens it for local iteration.</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("FAULTS_RABBITMQ_DOWN_SECONDS"), out var seconds) ? seconds : 30);

    /// <summary>A steady stream, a few provisionings a second: enough to have many operations at every stage when the node stops.</summary>
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task RabbitMqStoppedUnderLoad_ApiKeepsAccepting_AndEveryInstanceIsProvisionedExactlyOnceWhenItIsBack()
    {
        // The node boots while the deployment's database is made: both take a while.
        var starting = PrivateRabbitMq.Start();
        // A step whose command or event was in flight on the stopped node is the watchdog's to send again: quiet for 10 s
        // here (a minute by default, longer than the test waits for one instance).
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["Provisioners__Backend"] = "simulated",
            ["Provisioners__NudgeAfter"] = "00:00:10",
        });
        await using var rabbit = await starting;
        await using var broker = await BrokerProcess.Start(environment, new Dictionary<string, string>
        {
            ["RabbitMq__Port"] = rabbit.Port.ToString(),
            ["RabbitMq__VirtualHost"] = "/",
            ["RabbitMq__Username"] = rabbit.Username,
            ["RabbitMq__Password"] = rabbit.Password,
        });
        using var impatient = new HttpClient { BaseAddress = broker.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        impatient.DefaultRequestHeaders.Authorization = broker.Client.DefaultRequestHeaders.Authorization;
        impatient.DefaultRequestHeaders.Add("X-Broker-API-Version", "2.17");

        // A platform that keeps provisioning, one request after another, and polls the instance it just asked for.
        var accepted = new ConcurrentQueue<Guid>();
        var refused = new ConcurrentQueue<string>();
        using var stopLoad = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            while (!stopLoad.IsCancellationRequested)
            {
                var instanceId = Guid.NewGuid();
                try
                {
                    using var put = await impatient.Provision(instanceId);
                    if (put.StatusCode != HttpStatusCode.Accepted) { refused.Enqueue($"PUT {instanceId}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}"); continue; }
                    accepted.Enqueue(instanceId);
                    using var poll = await impatient.LastOperation(instanceId);
                    if (poll.StatusCode != HttpStatusCode.OK) refused.Enqueue($"last_operation {instanceId}: {(int)poll.StatusCode} {await poll.Content.ReadAsStringAsync()}");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    refused.Enqueue($"{instanceId}: {e.GetType().Name} {e.Message}");
                }
                await Task.Delay(Pace);
            }
        });

        await Task.Delay(TimeSpan.FromSeconds(3));
        await rabbit.Stop();
        var acceptedBeforeOutage = accepted.Count;
        Assert.Equal(HttpStatusCode.OK, (await impatient.GetAsync("/health/live")).StatusCode);
        using (var health = await impatient.GetAsync("/health/ready"))
        {
            var report = await health.Json();
            Assert.True(health.StatusCode == HttpStatusCode.ServiceUnavailable && (string?)report["checks"]!["rabbitmq"]!["status"] == "Unhealthy",
                $"/health/ready with RabbitMQ stopped: {(int)health.StatusCode} {report.ToJsonString()}");
        }
        await Task.Delay(Outage);
        var acceptedDuringOutage = accepted.Count - acceptedBeforeOutage;
        await rabbit.StartAgain();
        await Task.Delay(TimeSpan.FromSeconds(2));
        await stopLoad.CancelAsync();
        await load;

        await Eventually.Until(async () => (await impatient.GetAsync("/health/ready")).StatusCode, status => status == HttpStatusCode.OK,
            "/health/ready green again after RabbitMQ's restart", seconds: 60, details: () => broker.Output);
        Assert.True(refused.IsEmpty, $"{refused.Count} requests not answered as usual:\n{string.Join("\n", refused.Take(10))}\n{broker.Output}");
        Assert.True(acceptedDuringOutage > 0, "the API accepted provisionings while RabbitMQ was down");
        foreach (var instanceId in accepted)
        {
            var done = await broker.Client.PollUntilDone(instanceId, TimeSpan.FromSeconds(60));
            Assert.True(done.State == "succeeded", $"{instanceId}: {done}\n{broker.Output}");
        }
        await using var provisioned = environment.Database.DataSource.CreateCommand(
            "SELECT stream_id, count(*) FROM broker.mt_events WHERE type = $1 GROUP BY stream_id");
        provisioned.Parameters.Add(new Npgsql.NpgsqlParameter { Value = nameof(ServiceInstanceProvisioned) });
        var counts = new Dictionary<string, long>();
        await using (var reader = await provisioned.ExecuteReaderAsync())
            while (await reader.ReadAsync()) counts[reader.GetString(0)] = reader.GetInt64(1);
        Assert.Equal(accepted.Select(ServiceInstance.StreamId).Order(), counts.Keys.Order());
        Assert.All(counts, count => Assert.True(count.Value == 1, $"{count.Key}: {count.Value} × {nameof(ServiceInstanceProvisioned)}"));
        Console.WriteLine($"{accepted.Count} accepted ({acceptedDuringOutage} during the outage); steps sent again by the watchdog: " +
                          System.Text.RegularExpressions.Regex.Count(broker.Output, "its step is sent again"));
    }
}
