using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Admin;
using EventSourced.Broker.Tests.Ops;
using EventSourced.Commands.Fleet;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Fleet;

/// <summary>Five real instances on release 1.0.0, provisioned once; each test then serves a catalog naming a newer one.</summary>
public sealed class FleetFixture : IAsyncLifetime
{
    public const int Size = 5;
    public BrokerEnvironment Environment { get; private set; } = null!;
    /// <summary>Oldest first: the order a fleet run takes them in (the first ones are its canaries).</summary>
    public List<Guid> Instances { get; } = [];

    public async Task InitializeAsync()
    {
        Environment = await BrokerEnvironment.Create();
        await using var broker = await BrokerProcess.Start(Environment);
        Instances.Add(await DedicatedServers.ProvisionOne(broker));
        Instances.AddRange(await Task.WhenAll(Enumerable.Range(1, Size - 1).Select(_ => DedicatedServers.ProvisionOne(broker))));
        var created = new Dictionary<Guid, DateTimeOffset>();
        foreach (var id in Instances) created[id] = ServiceInstance.Fold(await Environment.InstanceEvents(id)).CreatedAt!.Value;
        Instances.Sort((a, b) => created[a] != created[b] ? created[a].CompareTo(created[b]) : a.CompareTo(b));
    }

    public async Task DisposeAsync() => await Environment.DisposeAsync();
}

/// <summary>
/// upgrade-all over real dedicated servers: canaries first, a failing canary stops the run with every other instance
/// untouched; one run at a time; a broker killed mid-run resumes it and upgrades each instance once; hostile input refused.
/// Then recreate-all over the same servers (the same runner): every VM recreated, address and rows kept.
/// </summary>
[TestCaseOrderer("EventSourced.TestSupport.ByName", "EventSourced.TestSupport")]
public sealed class UpgradeAllTests(FleetFixture fleet) : IClassFixture<FleetFixture>
{
    private BrokerEnvironment Environment => fleet.Environment;

    private static Dictionary<string, string> Release(string version) => new()
    {
        ["Catalog__Services__0__Plans__0__MaintenanceInfo__Version"] = version,
        ["Provisioners__Fleet__Interval"] = "00:00:00.200",
    };

    [Fact]
    public async Task A_ACanaryThatFails_StopsTheRun_WithEveryOtherInstanceUntouched_ThenARetryUpgradesAll()
    {
        await using var broker = await BrokerProcess.Start(Environment, Release("2.0.0"));
        var canary = fleet.Instances[0];
        using (await BreakServer(canary))
        {
            var accepted = await Accepted(await broker.OpsClient.PostAsJsonAsync("/api/v1/ops/upgrade-all", new { canaries = 1, maxInFlight = 2 }));
            Assert.Equal(FleetFixture.Size, (int)accepted["instances"]!);
            Assert.Equal([canary.ToString()], accepted["canaries"]!.AsArray().Select(c => (string)c!));

            var run = await Finished(broker, accepted);

            Assert.True((string?)run["state"] == "failed", run.ToJsonString());
            Assert.Contains($"Canary {canary} failed: Server update failed", (string)run["description"]!);
            Assert.Contains($"{FleetFixture.Size - 1} instance(s) were not touched", (string)run["description"]!);
            foreach (var other in fleet.Instances.Skip(1))
            {
                var events = await Environment.InstanceEvents(other);
                Assert.DoesNotContain(events, e => e is ServiceInstanceUpdateRequested);
                Assert.Equal("1.0.0", ServiceInstance.Fold(events).MaintenanceVersion);
            }
        }

        var retry = await Finished(broker, await Accepted(await broker.OpsClient.PostAsJsonAsync("/api/v1/ops/upgrade-all", new { canaries = 1, maxInFlight = 2 })));

        Assert.True((string?)retry["state"] == "succeeded", $"{retry.ToJsonString()}\n{broker.Output}");
        foreach (var instance in fleet.Instances)
            Assert.Equal("2.0.0", await MaintenanceVersionOnOsb(broker, instance));
    }

    [Fact]
    public async Task B_TwoRunsAskedAtOnce_OneRuns_TheOtherIsRefusedAndRecordsNothing_AndHostileInputIsRefused()
    {
        await using var broker = await BrokerProcess.Start(Environment, Release("3.0.0"));
        var before = (await Environment.Stream(FleetHistory.StreamId)).Count;

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            broker.OpsClient.PostAsJsonAsync("/api/v1/ops/upgrade-all", new { canaries = 0, maxInFlight = 5 })));

        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.Accepted));
        Assert.Equal(3, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        Assert.Contains("one fleet run at a time", await answers.First(a => a.StatusCode == HttpStatusCode.Conflict).Content.ReadAsStringAsync());
        var run = await Finished(broker, await Accepted(answers.Single(a => a.StatusCode == HttpStatusCode.Accepted)));
        Assert.True((string?)run["state"] == "succeeded", run.ToJsonString());
        Assert.Equal(1, (await Environment.Stream(FleetHistory.StreamId)).Skip(before).Count(e => e.Data is FleetRunStarted));

        foreach (var (body, expected) in new (string, string)[]
                 {
                     ("""{"canaries": -1}""", "canaries must be from 0"), ("""{"maxInFlight": 0}""", "maxInFlight must be from 1"),
                     ("""{"maxInFlight": 100000}""", "maxInFlight must be from 1"), ("""{"canaries": "one"}""", "not valid"),
                     ("""{"canaries": 1, "canaries": 2}""", "not valid"), ("[1]", "not valid"), ("not json", "not valid"),
                 })
        {
            var refused = await Environment.Refused(broker.OpsClient, ops =>
                ops.PostAsync("/api/v1/ops/upgrade-all", new StringContent(body, Encoding.UTF8, "application/json")));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(expected, await refused.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await broker.OpsClient.GetAsync("/api/v1/ops/fleet-runs/not-a-guid")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await broker.OpsClient.GetAsync($"/api/v1/ops/fleet-runs/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await broker.Client.PostAsJsonAsync("/api/v1/ops/upgrade-all", new { })).StatusCode);
    }

    [Fact]
    public async Task C_ABrokerKilledMidRun_ResumesIt_AndEachInstanceIsUpgradedOnce()
    {
        JsonObject accepted;
        await using (var first = await BrokerProcess.Start(Environment, Release("4.0.0")))
        {
            accepted = await Accepted(await first.OpsClient.PostAsJsonAsync("/api/v1/ops/upgrade-all", new { canaries = 1, maxInFlight = 2 }));
            var runId = Guid.Parse((string)accepted["runId"]!);
            await Eventually.Until(() => Environment.Stream(FleetHistory.StreamId),
                events => events.Count(e => e.Data is FleetInstanceStarted s && s.RunId == runId) >= 2, "the canary done and more started", seconds: 120);
            // The operators' dashboard shows the run live: it reloads itself while the run is in progress.
            var dashboard = await first.Client.GetStringAsync("/dashboard");
            Assert.Contains("Fleet run upgrade-all", dashboard);
            Assert.Contains("<meta http-equiv=\"refresh\" content=\"5\" />", dashboard);
            Assert.Contains(fleet.Instances[0].ToString(), dashboard);
            await first.Kill();
        }
        await using var second = await BrokerProcess.Start(Environment, Release("4.0.0"));

        var run = await Finished(second, accepted);

        Assert.True((string?)run["state"] == "succeeded", $"{run.ToJsonString()}\n{second.Output}");
        var views = run["instances"]!.AsArray().ToDictionary(v => Guid.Parse((string)v!["instanceId"]!), v => v!);
        Assert.Equal(fleet.Instances.Order(), views.Keys.Order());
        foreach (var instance in fleet.Instances)
        {
            var view = views[instance];
            var updates = (await Environment.InstanceEvents(instance)).OfType<ServiceInstanceUpdateRequested>()
                .Where(u => u.MaintenanceVersion == "4.0.0").ToList();
            Assert.Equal((string?)view["operationId"], Assert.Single(updates).OperationId.ToString());
            Assert.Equal("4.0.0", await MaintenanceVersionOnOsb(second, instance));
        }
    }

    [Fact]
    public async Task D_TheCli_UpgradesAll_ShowingEachInstance_AndExits0_OrExits2WhenRefused()
    {
        await using var broker = await BrokerProcess.Start(Environment, Release("5.0.0"));

        var refused = await Ops.Cli.Against(broker, Environment, "upgrade-all", "--canaries", "-1");
        var run = await Ops.Cli.Against(broker, Environment, "upgrade-all", "--canaries", "1", "--max-in-flight", "3");

        Assert.True(refused.ExitCode == 2 && refused.Error.Contains("canaries must be from 0"), refused.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"{fleet.Instances[0]} (canary): succeeded", run.Output);
        foreach (var instance in fleet.Instances) Assert.Contains($"{instance}", run.Output);
        Assert.Contains($"upgrade-all succeeded: Done: {FleetFixture.Size} of {FleetFixture.Size} upgraded", run.Output);
        foreach (var instance in fleet.Instances) Assert.Equal("5.0.0", await MaintenanceVersionOnOsb(broker, instance));
    }

    [Fact]
    public async Task E_RecreateAll_RecreatesEveryInstancesVm_CanariesFirst_KeepingItsAddressAndEveryRow()
    {
        await using var broker = await BrokerProcess.Start(Environment, Release("5.0.0"));
        var before = new Dictionary<Guid, (int Port, string? Vm)>();
        foreach (var instance in fleet.Instances)
        {
            var state = ServiceInstance.Fold(await Environment.InstanceEvents(instance));
            before[instance] = (state.Server!.Port, state.Vm);
            await Sql(instance, "CREATE TABLE IF NOT EXISTS kept AS SELECT n FROM generate_series(1, 250) n");
        }

        var accepted = await Accepted(await broker.OpsClient.PostAsJsonAsync("/api/v1/ops/recreate-all", new { canaries = 1, maxInFlight = 2 }));
        var run = await Finished(broker, accepted);

        Assert.True((string?)run["state"] == "succeeded", $"{run.ToJsonString()}\n{broker.Output}");
        Assert.Equal("recreate-all", (string?)run["kind"]);
        Assert.Contains($"Done: {FleetFixture.Size} of {FleetFixture.Size} recreated", (string)run["description"]!);
        var dashboard = await broker.Client.GetStringAsync("/dashboard");
        Assert.Contains("Fleet run recreate-all", dashboard);
        Assert.Contains($"Done: {FleetFixture.Size} of {FleetFixture.Size} recreated", dashboard);
        Assert.DoesNotContain("http-equiv=\"refresh\"", dashboard);
        foreach (var instance in fleet.Instances)
        {
            var events = await Environment.InstanceEvents(instance);
            var state = ServiceInstance.Fold(events);
            var recreate = Assert.Single(events.OfType<ServiceInstanceUpdateRequested>(), u => u.Recreate);
            var planned = Assert.Single(events.OfType<DeploymentPlanned>(), p => p.OperationId == recreate.OperationId);
            Assert.Contains(planned.Actions, a => a.Contains("recreate") && a.Contains("recreate requested"));
            Assert.Equal(before[instance].Port, state.Server!.Port);
            Assert.NotEqual(before[instance].Vm ?? "postgres/0#0", state.Vm);
            Assert.Equal("5.0.0", state.MaintenanceVersion);
            Assert.Equal(250L, await Sql(instance, "SELECT count(*) FROM kept"));
        }
    }

    private async Task<object?> Sql(Guid instanceId, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(await Environment.AdminConnectionString(instanceId));
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static async Task<JsonObject> Accepted(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private static Task<JsonObject> Finished(BrokerProcess broker, JsonObject accepted) =>
        Eventually.Until(async () => JsonNode.Parse(await broker.OpsClient.GetStringAsync($"/api/v1/ops/fleet-runs/{accepted["runId"]}"))!.AsObject(),
            run => (bool)run["finished"]!, $"fleet run {accepted["runId"]} finishes", seconds: 180, () => broker.Output);

    private static async Task<string?> MaintenanceVersionOnOsb(BrokerProcess broker, Guid instanceId)
    {
        var instance = JsonNode.Parse(await broker.Client.GetStringAsync($"/v2/service_instances/{instanceId}"))!;
        return (string?)instance["maintenance_info"]?["version"];
    }

    /// <summary>
    /// The instance's server dies and something else listens on its port, so the server cannot start again (nor be
    /// resurrected) until the returned listener is disposed.
    /// </summary>
    private async Task<IDisposable> BreakServer(Guid instanceId)
    {
        var port = await DedicatedServers.PortOf(Environment, instanceId);
        await DedicatedServers.KillPostmaster(Environment, instanceId);
        return await Eventually.Until(() => Task.FromResult(LoopbackPort.TryListen(port)), listener => listener is not null,
            $"port {port} free after the postmaster died", seconds: 30) as IDisposable ?? throw new InvalidOperationException();
    }
}
