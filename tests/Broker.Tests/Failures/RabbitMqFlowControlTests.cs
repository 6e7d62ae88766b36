using System.Net;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;
using Npgsql;

namespace EventSourced.Broker.Tests.Failures;

/// <summary>
/// RabbitMQ under flow control blocks the forwarder's publishes for longer than PostgreSQL lets a transaction sit idle:
/// the forwarder must hold no transaction while it waits (the old one did, lost its connection to the idle timeout and
/// retried the same batch forever). When the alarm clears, the waiting events go out once.
/// </summary>
public sealed class RabbitMqFlowControlTests
{
    [Fact]
    public async Task PublishesBlockedLongerThanTheIdleTransactionTimeout_ForwarderResumesAndProvisioningCompletesOnce()
    {
        var starting = PrivateRabbitMq.Start();
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string> { ["Provisioners__Backend"] = "simulated" });
        await using var rabbit = await starting;
        await using (var admin = new NpgsqlConnection(TestSettings.PostgresConnectionString))
        {
            await admin.OpenAsync();
            await using var alter = new NpgsqlCommand($"ALTER DATABASE {environment.Database.Name} SET idle_in_transaction_session_timeout = '3s'", admin);
            await alter.ExecuteNonQueryAsync();
        }
        await using var broker = await BrokerProcess.Start(environment, new Dictionary<string, string>
        {
            ["RabbitMq__Port"] = rabbit.Port.ToString(),
            ["RabbitMq__VirtualHost"] = "/",
            ["RabbitMq__Username"] = rabbit.Username,
            ["RabbitMq__Password"] = rabbit.Password,
        });
        var warm = Guid.NewGuid();
        using (var put = await broker.Client.Provision(warm))
            Assert.True(put.StatusCode == HttpStatusCode.Accepted, $"{(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}\n{broker.Output}");
        Assert.Equal("succeeded", (await broker.Client.PollUntilDone(warm, TimeSpan.FromSeconds(60))).State);

        var instanceId = Guid.NewGuid();
        await rabbit.RaiseMemoryAlarm();
        try
        {
            Assert.Equal(HttpStatusCode.Accepted, (await broker.Client.Provision(instanceId)).StatusCode);
            // Several idle-transaction timeouts long, with the forwarder's publish of the request waiting on the alarm. (The
            // timeout is 3 s, not less: on a loaded 2-core machine the PUT's own transaction sat idle over 1 s between two
            // statements, and the server's cut answered the PUT with a 500.)
            await Task.Delay(TimeSpan.FromSeconds(10));
            Assert.Equal("in progress", (string?)(await (await broker.Client.LastOperation(instanceId)).Json())["state"]);
        }
        finally
        {
            await rabbit.ClearMemoryAlarm();
        }

        var done = await broker.Client.PollUntilDone(instanceId, TimeSpan.FromSeconds(60));
        Assert.True(done.State == "succeeded", $"{done}\n{broker.Output}");
        Assert.Single((await environment.InstanceEvents(instanceId)).OfType<ServiceInstanceProvisioned>());
    }
}
