using System.Net;
using System.Net.Http.Json;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.SubProvisioners;
using EventSourced.TestSupport;
using Npgsql;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>
/// An asynchronous bind whose step does not finish ends anyway: past the operation timeout the watchdog records it
/// failed, the platform's poll says so, and the login the late step makes is dropped again. Before, the binding stayed
/// "in progress" forever (bindings had no timeout). The step is slowed for real: the test holds the lock the login's
/// grants take on the dedicated server.
/// </summary>
public sealed class BindingTimeoutTests
{
    private const long GrantLock = 7321;

    [Fact]
    public async Task AsyncBind_StepHangsPastTheTimeout_IsRecordedFailed_AndTheLateLoginIsDropped()
    {
        // Instance operations have the plan's deadline (an hour); the operation timeout bounds the binding's.
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string> { ["Provisioners__OperationTimeout"] = "00:00:05" });
        await using var broker = await BrokerProcess.Start(environment);
        var (instanceId, bindingId) = (Guid.NewGuid(), Guid.NewGuid());
        await (await broker.Client.Provision(instanceId)).AcceptedOperation();
        Assert.Equal("succeeded", (await broker.Client.PollUntilDone(instanceId)).State);
        var admin = await environment.AdminConnectionString(instanceId);
        var path = $"/v2/service_instances/{instanceId}/service_bindings/{bindingId}";

        await using (var grants = new NpgsqlConnection(admin))
        {
            await grants.OpenAsync();
            await using (var hold = new NpgsqlCommand($"SELECT pg_advisory_lock({GrantLock})", grants)) await hold.ExecuteNonQueryAsync();
            var accepted = await broker.Client.PutAsJsonAsync($"{path}?accepts_incomplete=true",
                new { service_id = ServiceId, plan_id = SmallPlanId, bind_resource = new { app_guid = "app-1" } });
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            await Eventually.True(() => RoleExists(admin, bindingId), "the step to create the binding's role and wait for the grants", 30);

            var failed = await Eventually.Until(async () => (string?)(await (await broker.Client.GetAsync($"{path}/last_operation")).Json())["state"],
                state => state != "in progress", "the binding's operation to end", 30);
            Assert.Equal("failed", failed);
        }

        await Eventually.True(async () => !await RoleExists(admin, bindingId), "the late step to drop the login it made", 60);
        var stream = (await environment.Stream(ServiceBinding.StreamId(bindingId))).Select(e => e.Data).ToList();
        Assert.True(stream is [ServiceBindingRequested, ServiceBindingFailed { Reason: "The binding operation timed out." }],
            string.Join(", ", stream.Select(e => e.GetType().Name)));
        Assert.Contains("timed out", broker.Output);
    }

    private static async Task<bool> RoleExists(string admin, Guid bindingId)
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = BindingSubProvisioner.UsernameOf(bindingId) });
        return (bool)(await command.ExecuteScalarAsync())!;
    }
}
