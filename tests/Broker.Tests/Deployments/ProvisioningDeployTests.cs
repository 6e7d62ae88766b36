using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Admin;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Deployments.Planning;
using EventSourced.TestSupport;
using Npgsql;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Deployments;

/// <summary>
/// A provisioning on the local backend is a deploy of the engine from nothing: the plan (the primary on the worker's
/// host, at the address the engine chose; the replicas parameter <c>instances</c> asks for) is recorded before any
/// server exists, every step is recorded as it completes, a worker killed midway leaves the next one to resume the
/// plan without making a server twice, and a cloud config that cannot place the instance fails it before any server
/// is made. In order: P3 leaves a cloud config that places nothing.
/// </summary>
[TestCaseOrderer("EventSourced.TestSupport.ByName", "EventSourced.TestSupport")]
public sealed class ProvisioningDeployTests(LocalDeployFixture fixture) : IClassFixture<LocalDeployFixture>
{
    private static readonly string[] LifecycleOfANewVm = ["create VM", "attach disk", "update artifacts", "pre-start", "start", "post-start"];
    private BrokerEnvironment Environment => fixture.Environment;

    [Fact]
    public async Task P1_ThreeProvisionedAtOnce_EachIsARecordedDeploy_WithEveryServerOnAnAddressOfItsOwn()
    {
        await using var broker = await BrokerProcess.Start(Environment);
        var ids = new[] { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        var accepted = await Task.WhenAll(ids.Select((id, i) => broker.Client.Provision(id, ProvisionBody(SmallPlanId, i == 0 ? new { instances = 2 } : null))));
        Assert.All(accepted, response => Assert.Equal(HttpStatusCode.Accepted, response.StatusCode));
        foreach (var id in ids)
        {
            var done = await broker.Client.PollUntilDone(id);
            Assert.True(done.State == "succeeded", $"{done}\n{broker.Output}");
        }

        var servers = new List<int>();
        foreach (var id in ids)
        {
            var events = await Environment.InstanceEvents(id);
            var planned = Assert.Single(events.OfType<DeploymentPlanned>());
            var steps = events.OfType<DeploymentStepCompleted>().ToList();
            // The plan is on the record before the first step, the steps before the server is reported.
            var order = events.Select(e => e.GetType()).ToList();
            Assert.True(order.IndexOf(typeof(DeploymentPlanned)) < order.IndexOf(typeof(DeploymentStepCompleted)));
            Assert.True(order.LastIndexOf(typeof(DeploymentStepCompleted)) < order.IndexOf(typeof(ServerProvisioned)));
            Assert.Equal(LifecycleOfANewVm, steps.Where(s => s.Instance == ServiceInstance.DeploymentInstance).Select(s => s.Step));
            Assert.Equal(steps.Count, steps.Select(s => (s.Instance, s.Step, s.Vm)).Distinct().Count());
            var state = ServiceInstance.Fold(events);
            Assert.Null(state.Deployment);
            Assert.Equal($"{ServiceInstance.DeploymentInstance}#0", state.Vm);
            Assert.True(await DedicatedServers.Answers(state.Server!.Port), $"instance {id}'s server does not answer on {state.Server.Port}");
            // The engine chose the address, on the worker's port range (the implicit cloud config: no other was uploaded).
            Assert.InRange(PlannedPortOf(planned, ServiceInstance.DeploymentInstance), Environment.PortRangeStart, Environment.PortRangeStart + 39);
            servers.AddRange(state.Replicas.Select(r => r.Port).Prepend(state.Server.Port));
        }
        Assert.Equal(servers.Count, servers.Distinct().Count());
        Assert.All(servers, port => Assert.InRange(port, Environment.PortRangeStart, Environment.PortRangeStart + 39));

        // The one with two instances: its replica is part of the same deploy, after the primary, and streams from it.
        var withReplica = await Environment.InstanceEvents(ids[0]);
        Assert.Equal(["postgres/0 create (new in local)", "replicas/0 create (new in local)"], Assert.Single(withReplica.OfType<DeploymentPlanned>()).Actions);
        Assert.Equal(LifecycleOfANewVm, withReplica.OfType<DeploymentStepCompleted>().Where(s => s.Instance == "replicas/0").Select(s => s.Step));
        var replica = Assert.Single(ServiceInstance.Fold(withReplica).Replicas);
        Assert.True(await InRecovery(ids[0], replica.Port), "the replica is not a standby");
        Assert.Single(withReplica.OfType<ReplicaAdded>());
    }

    [Fact]
    public async Task P2_AWorkerKilledMidProvisioning_LeavesTheNextToResumeItsPlan_WithoutMakingAServerTwice()
    {
        var id = Guid.NewGuid();
        await using (var doomed = await BrokerProcess.Start(Environment))
        {
            Assert.Equal(HttpStatusCode.Accepted, (await doomed.Client.Provision(id, ProvisionBody(SmallPlanId, new { instances = 2 }))).StatusCode);
            // The primary's port is claimed, its cluster not made yet (initdb and the replica's copy take seconds): the worker dies there.
            await Eventually.Until(() => Environment.InstanceEvents(id),
                e => e.OfType<DeploymentStepCompleted>().Any(s => s.Instance == ServiceInstance.DeploymentInstance && s.Step == "create VM"),
                "the primary's VM created", seconds: 60);
            await doomed.Kill();
        }
        var cut = await Environment.InstanceEvents(id);
        Assert.DoesNotContain(cut, e => e is ServerProvisioned or ServiceInstanceProvisioned);
        var claimed = RecordedPort(DedicatedServers.InstancePath(Environment, id));

        await using var second = await BrokerProcess.Start(Environment);
        var done = await second.Client.PollUntilDone(id);

        Assert.True(done.State == "succeeded", $"{done}\n{second.Output}");
        var events = await Environment.InstanceEvents(id);
        Assert.Single(events.OfType<DeploymentPlanned>());
        var steps = events.OfType<DeploymentStepCompleted>().ToList();
        Assert.Equal(steps.Count, steps.Select(s => (s.Instance, s.Step, s.Vm)).Distinct().Count());
        Assert.Single(steps, s => s.Instance == ServiceInstance.DeploymentInstance && s.Step == "create VM");
        Assert.Single(steps, s => s.Instance == "replicas/0" && s.Step == "create VM");
        Assert.Equal(claimed, Assert.Single(events.OfType<ServerProvisioned>()).Port);
        var replica = Assert.Single(ServiceInstance.Fold(events).Replicas);
        Assert.Single(events.OfType<ReplicaAdded>());
        Assert.True(await InRecovery(id, replica.Port), "the replica is not a standby");
        // One replica folder: the one recorded, on its recorded port.
        var folder = Assert.Single(Directory.GetDirectories(Path.Combine(DedicatedServers.InstancePath(Environment, id), "replicas")));
        Assert.Equal(replica.Port, RecordedPort(folder));
    }

    [Fact]
    public async Task P3_ACloudConfigThatCannotPlaceANewInstance_FailsItsProvisioningBeforeAnyServerIsMade()
    {
        await using var broker = await BrokerProcess.Start(Environment);
        var ports = $"range: \"127.0.0.1:{Environment.PortRangeStart}-{Environment.PortRangeStart + 39}\"";
        var refusals = new (string Subnet, string Host, string Expected)[]
        {
            // No AZ holds this worker's host.
            (ports, "another-host", $"the cloud config has no AZ with host '{LocalDeployFixture.Host}'"),
            // Every address of the AZ's subnet reserved.
            ("range: 127.0.0.1:27000-27001, reserved: [127.0.0.1:27000-27001]", LocalDeployFixture.Host, "no free dynamic address"),
        };
        foreach (var (subnet, host, expected) in refusals)
        {
            await LocalDeployTests.UploadCloudConfig(broker, subnet, host);
            var id = Guid.NewGuid();
            Assert.Equal(HttpStatusCode.Accepted, (await broker.Client.Provision(id, ProvisionBody(SmallPlanId))).StatusCode);

            var done = await broker.Client.PollUntilDone(id);

            Assert.True(done.State == "failed", $"{done}\n{broker.Output}");
            Assert.Contains("cannot be planned, nothing was created", done.Description);
            Assert.Contains(expected, done.Description);
            var events = await Environment.InstanceEvents(id);
            Assert.DoesNotContain(events, e => e is DeploymentPlanned or DeploymentStepCompleted or ServerProvisioned);
            Assert.False(Directory.Exists(DedicatedServers.InstancePath(Environment, id)), "the failed instance's folder is left behind");
        }
    }

    private static int PlannedPortOf(DeploymentPlanned planned, string instance)
    {
        var plan = JsonSerializer.Deserialize<DeploymentPlan>(planned.Plan, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        return int.Parse(plan.Groups.SelectMany(g => g.Actions).Single(a => a.Id == instance).Target!.Address.Split(':')[1]);
    }

    private static int RecordedPort(string folder) =>
        (int)JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "server.json")))!["port"]!;

    private async Task<bool> InRecovery(Guid id, int port)
    {
        var builder = new NpgsqlConnectionStringBuilder(await Environment.AdminConnectionString(id)) { Port = port, Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
        return (bool)(await command.ExecuteScalarAsync())!;
    }
}
