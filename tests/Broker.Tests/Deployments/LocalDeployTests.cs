using System.Net;
using System.Net.Http.Json;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;
using Npgsql;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Deployments;

/// <summary>
/// One environment on the local backend whose large plan deploys with <c>update.vm.surge: 1</c> (create-swap-delete)
/// and whose small plan with <c>surge: 0</c> (delete-create), and whose drain waits for open transactions long enough
/// that a test holding one holds the deploy right there: the point each test stops it at is not a matter of timing.
/// </summary>
public sealed class LocalDeployFixture : IAsyncLifetime
{
    public const string Host = "deploy-host";
    public BrokerEnvironment Environment { get; private set; } = null!;

    public async Task InitializeAsync() => Environment = await BrokerEnvironment.Create(new Dictionary<string, string>
    {
        ["Catalog__Services__0__Plans__0__Metadata__vm_surge"] = "0",
        ["Catalog__Services__0__Plans__1__Metadata__vm_surge"] = "1",
        ["Provisioners__Local__DrainTimeout"] = "00:10:00",
        ["Provisioners__Host__Name"] = Host,
    });

    public async Task DisposeAsync() => await Environment.DisposeAsync();
}

/// <summary>
/// Updates of a dedicated instance go through the deployment engine on the local backend: the plan and every step are
/// recorded on the instance's stream, a worker killed mid-deploy leaves the next one to resume without redoing a step,
/// a recreate moves the data directory to the new VM with every row intact and the address unchanged, and a plan that
/// cannot be placed fails before anything changes, and the dry run estimates with the recorded step times. The tests run
/// in order: T3 and T4 upload cloud configs, the last one with no room for anything.
/// </summary>
[TestCaseOrderer("EventSourced.TestSupport.ByName", "EventSourced.TestSupport")]
public sealed class LocalDeployTests(LocalDeployFixture fixture) : IClassFixture<LocalDeployFixture>
{
    private const int Rows = 1000;
    private BrokerEnvironment Environment => fixture.Environment;

    [Fact]
    public async Task T1_KilledWhileDraining_CreateSwapDelete_ResumesWithoutRedoingAStep_AndEveryRowSurvives()
    {
        var id = Guid.NewGuid();
        string createdVm;
        NpgsqlConnection holder;
        await using (var first = await BrokerProcess.Start(Environment))
        {
            await Provisioned(first, id, SmallPlanId);
            await WriteRows(id);
            holder = await OpenTransaction(id);
            await (await Patch(first, id, new { service_id = ServiceId, plan_id = LargePlanId })).AcceptedOperation();
            // Create-swap-delete makes the new VM ahead, while the old one serves; the drain of the old one then waits for
            // the open transaction: the deploy stands still there, and the worker dies.
            var steps = await StepsOnceRecorded(id, "update artifacts");
            Assert.DoesNotContain(steps, s => s.Step == "drain");
            createdVm = Assert.Single(steps, s => s.Step == "create VM").Vm;
            await first.Kill();
        }
        await holder.DisposeAsync();
        Assert.DoesNotContain(await Environment.InstanceEvents(id), e => e is ServiceInstanceUpdated);

        await using var second = await BrokerProcess.Start(Environment);
        var done = await second.Client.PollUntilDone(id);

        var events = OfTheUpdate(await Environment.InstanceEvents(id));
        Assert.True(done.State == "succeeded", $"{done}\n{second.Output}");
        Assert.Single(events.OfType<DeploymentPlanned>());
        var all = events.OfType<DeploymentStepCompleted>().ToList();
        Assert.Equal(all.Count, all.Select(s => (s.Instance, s.Step, s.Vm)).Distinct().Count());
        Assert.Equal(createdVm, Assert.Single(all, s => s.Step == "create VM").Vm);
        Assert.Equal(new[] { "create VM", "update artifacts", "drain", "stop", "detach disk", "attach disk", "pre-start", "start", "post-start" },
            all.Where(s => s.Instance == ServiceInstance.DeploymentInstance).Select(s => s.Step));
        Assert.All(all.Where(s => s.Step is "attach disk" or "pre-start" or "start" or "post-start"), s => Assert.Equal(createdVm, s.Vm));
        // The old VM was orphaned: on the record, left to its host's sweeper (after the 5-minute grace period by default).
        Assert.DoesNotContain(all, s => s.Step == "delete VM");
        Assert.Equal(("postgres/0#0", LocalDeployFixture.Host), Assert.Single(events.OfType<VmOrphaned>()) is var o ? (o.Vm, o.Host) : default);
        var state = ServiceInstance.Fold(events);
        Assert.Equal((LargePlanId, createdVm), (state.PlanId, state.Vm));
        Assert.Equal(events.OfType<ServerProvisioned>().Single().Port, state.Server!.Port);
        Assert.Equal(Rows, await CountRows(id));
        Assert.Single(Directory.GetFiles(Path.Combine(Environment.DataRoot, id.ToString(), "vms"), "*.json"));
        // No cloud config uploaded: no VM type maps to settings, the server keeps the broker's defaults.
        Assert.Equal(("16MB", "4GB"), (await Show(id, "shared_buffers"), await Show(id, "effective_cache_size")));
    }

    [Fact]
    public async Task T2_SurgeZero_DeleteCreate_AConcurrentPatchIsRefused_AndNothingOfItIsApplied()
    {
        var id = Guid.NewGuid();
        await using var broker = await BrokerProcess.Start(Environment);
        await Provisioned(broker, id, LargePlanId);
        await WriteRows(id);
        var port = ServiceInstance.Fold(await Environment.InstanceEvents(id)).Server!.Port;
        await using (var holder = await OpenTransaction(id))
        {
            await (await Patch(broker, id, new { service_id = ServiceId, plan_id = SmallPlanId, parameters = new { max_connections = 77 } }))
                .AcceptedOperation();
            // Delete-create drains the one VM first: held there by the open transaction, with the plan recorded.
            await Eventually.Until(async () => OfTheUpdate(await Environment.InstanceEvents(id)), e => e.OfType<DeploymentPlanned>().Any(),
                "the update's deploy planned", seconds: 60);

            var second = await Patch(broker, id, new { service_id = ServiceId, parameters = new { max_connections = 88 } });

            await second.AssertOsbError(HttpStatusCode.UnprocessableEntity, "ConcurrencyError");
        }
        var done = await broker.Client.PollUntilDone(id);

        var events = OfTheUpdate(await Environment.InstanceEvents(id));
        Assert.True(done.State == "succeeded", $"{done}\n{broker.Output}");
        Assert.Single(events.OfType<ServiceInstanceUpdateRequested>());
        var steps = events.OfType<DeploymentStepCompleted>().Select(s => s.Step).ToList();
        Assert.Equal(new[] { "drain", "stop", "detach disk", "delete VM", "create VM", "attach disk", "update artifacts", "pre-start", "start", "post-start" }, steps);
        Assert.Equal(port, ServiceInstance.Fold(events).Server!.Port);
        Assert.Equal(Rows, await CountRows(id));
        Assert.Equal("77", await Show(id, "max_connections"));
    }

    [Fact]
    public async Task T3_TheDryRunEstimatesWithTheStepTimesEarlierDeploysRecorded()
    {
        var id = Guid.NewGuid();
        await using var broker = await BrokerProcess.Start(Environment);
        await Provisioned(broker, id, SmallPlanId);
        // A deploy of its own first (a restart: drain, stop, update artifacts, pre-start, start, post-start), so the
        // estimate has records whatever ran before.
        await (await Patch(broker, id, new { service_id = ServiceId, parameters = new { max_connections = 60 } })).AcceptedOperation();
        Assert.Equal("succeeded", (await broker.Client.PollUntilDone(id)).State);
        var ports = $"127.0.0.1:{Environment.PortRangeStart}-{Environment.PortRangeStart + 39}";
        await UploadCloudConfig(broker, $"range: \"{ports}\"");

        var response = await broker.OpsClient.PostAsJsonAsync($"/api/v1/deployments/{id}/plan", new { planId = LargePlanId });

        var plan = await response.Json();
        Assert.True(response.StatusCode == HttpStatusCode.OK, plan.ToJsonString());
        // Its own deploy recorded 6 steps (and the deploys of the tests before it theirs): the estimate stands on them.
        Assert.True((int)plan["recordedSteps"]! >= 6, plan.ToJsonString());
        Assert.StartsWith("step times recorded by earlier deploys", (string?)plan["estimatedFrom"]);
        Assert.Equal("create-swap-delete", (string?)plan["groups"]![0]!["strategy"]);
        Assert.True((double)plan["estimatedSeconds"]! > 0);
    }

    [Fact]
    public async Task T4_ACloudConfigWithoutAFreeAddress_FailsTheUpdateBeforeAnythingChanges_AndTheInstanceStillServes()
    {
        var id = Guid.NewGuid();
        await using var broker = await BrokerProcess.Start(Environment);
        await Provisioned(broker, id, SmallPlanId);
        var port = ServiceInstance.Fold(await Environment.InstanceEvents(id)).Server!.Port;
        // Its AZ holds the host, but its network's addresses (outside every test port block) are all reserved: the instance's own address is not in it,
        // and no other is free.
        await UploadCloudConfig(broker, "range: 127.0.0.1:27000-27001, reserved: [127.0.0.1:27000-27001]");

        await (await Patch(broker, id, new { service_id = ServiceId, parameters = new { max_connections = 66 } })).AcceptedOperation();
        var done = await broker.Client.PollUntilDone(id);

        Assert.Equal("failed", done.State);
        Assert.Contains("cannot be planned, nothing was changed", done.Description);
        Assert.Contains("no free dynamic address", done.Description);
        var last = await (await broker.Client.LastOperation(id)).Json();
        Assert.Equal((true, true), ((bool)last["instance_usable"]!, (bool)last["update_repeatable"]!));
        var events = OfTheUpdate(await Environment.InstanceEvents(id));
        Assert.DoesNotContain(events, e => e is DeploymentPlanned or DeploymentStepCompleted);
        Assert.Equal(port, ServiceInstance.Fold(events).Server!.Port);
        Assert.Equal("50", await Show(id, "max_connections"));
    }

    private static async Task Provisioned(BrokerProcess broker, Guid id, string planId)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await broker.Client.Provision(id, ProvisionBody(planId))).StatusCode);
        var done = await broker.Client.PollUntilDone(id);
        Assert.True(done.State == "succeeded", $"{done}\n{broker.Output}");
    }

    private static Task<HttpResponseMessage> Patch(BrokerProcess broker, Guid id, object body) =>
        broker.Client.PatchAsJsonAsync($"/v2/service_instances/{id}?accepts_incomplete=true", body);

    /// <summary>The steps of the instance's update once <paramref name="step"/> is among them.</summary>
    private async Task<IReadOnlyList<DeploymentStepCompleted>> StepsOnceRecorded(Guid id, string step) =>
        (await Eventually.Until(async () => OfTheUpdate(await Environment.InstanceEvents(id)), e => e.OfType<DeploymentStepCompleted>().Any(s => s.Step == step),
            $"step '{step}' of instance {id}'s update recorded", seconds: 60)).OfType<DeploymentStepCompleted>().ToList();

    /// <summary>
    /// The instance's events without the deploy of its provisioning (a deploy of its own: its plan and steps carry the
    /// provisioning's operation): what its update recorded, beside everything else.
    /// </summary>
    private static IReadOnlyList<IDomainEvent> OfTheUpdate(IReadOnlyList<IDomainEvent> events)
    {
        var provisioning = events.OfType<ServiceInstanceProvisioningRequested>().Single().OperationId;
        return events.Where(e => e switch
        {
            DeploymentPlanned planned => planned.OperationId != provisioning,
            DeploymentStepCompleted step => step.OperationId != provisioning,
            _ => true,
        }).ToList();
    }

    private async Task<NpgsqlConnection> Connect(Guid id)
    {
        var connection = new NpgsqlConnection(await Environment.AdminConnectionString(id));
        await connection.OpenAsync();
        return connection;
    }

    private async Task WriteRows(Guid id)
    {
        await using var connection = await Connect(id);
        await using var command = new NpgsqlCommand(
            $"CREATE TABLE kept (n int PRIMARY KEY, note text); INSERT INTO kept SELECT n, 'row ' || n FROM generate_series(1, {Rows}) n", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A client inside a transaction: what the drain step waits for.</summary>
    private async Task<NpgsqlConnection> OpenTransaction(Guid id)
    {
        var connection = await Connect(id);
        await using var command = new NpgsqlCommand("BEGIN; SELECT count(*) FROM kept", connection);
        await command.ExecuteNonQueryAsync();
        return connection;
    }

    private async Task<long> CountRows(Guid id)
    {
        await using var connection = await Connect(id);
        await using var command = new NpgsqlCommand("SELECT count(DISTINCT n) FROM kept WHERE note = 'row ' || n", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<string?> Show(Guid id, string setting)
    {
        await using var connection = await Connect(id);
        await using var command = new NpgsqlCommand($"SHOW {setting}", connection);
        return (string?)await command.ExecuteScalarAsync();
    }

    /// <summary>
    /// The cloud config of these tests: one AZ with <paramref name="host"/> (the fixture's worker when not given), one
    /// loopback network whose subnet has <paramref name="subnet"/> (its range, and what is reserved).
    /// </summary>
    internal static async Task UploadCloudConfig(BrokerProcess broker, string subnet, string host = LocalDeployFixture.Host)
    {
        var cloud = $$"""
            azs:
            - {name: z1, hosts: [{{host}}]}
            vm_types: []
            disk_types: []
            networks:
            - name: loopback
              subnets:
              - {azs: [z1], {{subnet}}}

            """;
        Assert.Equal(HttpStatusCode.OK, (await broker.OpsClient.PutAsync("/api/v1/cloud-config", new StringContent(cloud))).StatusCode);
    }
}
