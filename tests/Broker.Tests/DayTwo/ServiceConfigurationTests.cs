using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.DayTwo;

/// <summary>One environment; its shared broker starts with the first test that asks for it (the kill test, first, runs without it).</summary>
public sealed class ServiceConfigurationFixture : IAsyncLifetime
{
    private BrokerProcess? _broker;
    public BrokerEnvironment Environment { get; private set; } = null!;

    public async Task<BrokerProcess> Broker() => _broker ??= await BrokerProcess.Start(Environment);

    public async Task InitializeAsync() => Environment = await BrokerEnvironment.Create();

    public async Task DisposeAsync()
    {
        if (_broker is not null) await _broker.DisposeAsync();
        await Environment.DisposeAsync();
    }
}

/// <summary>
/// Day-2 category 4, service-specific configuration, through OSB PATCH on the local backend: server settings
/// (<c>max_connections</c> restart, <c>shared_buffers</c> restart, <c>work_mem</c> reload) and the extensions enabled in
/// the instance's database (from the schema's list, each installed here), with every row kept; a drop that something
/// still needs changes nothing; hostile values are refused before anything is recorded; a broker killed right after the
/// 202 leaves the next one to finish the change.
/// </summary>
[TestCaseOrderer("EventSourced.TestSupport.ByName", "EventSourced.TestSupport")]
public sealed class ServiceConfigurationTests(ServiceConfigurationFixture fixture) : IClassFixture<ServiceConfigurationFixture>
{
    private const int Rows = 500;
    private BrokerEnvironment Environment => fixture.Environment;
    private BrokerProcess? _broker;
    private HttpClient Platform => _broker!.Client;

    [Fact]
    public async Task T2_SettingsAndExtensions_AreApplied_WithTheLeastDisruptiveAction_AndEveryRowIsKept()
    {
        _broker = await fixture.Broker();
        var id = await Provisioned(new { extensions = new[] { "citext" } });
        await Execute(id, $"CREATE TABLE kept (n int PRIMARY KEY, name citext); INSERT INTO kept SELECT n, 'Row ' || n FROM generate_series(1, {Rows}) n");
        var reload = await DryRun(id, new { work_mem = "8MB", extensions = new[] { "citext", "pg_trgm" } });
        var restart = await DryRun(id, new { shared_buffers = "32MB" });

        await Updated(id, new { max_connections = 120, shared_buffers = "32MB", work_mem = "8MB", extensions = new[] { "citext", "pg_trgm", "earthdistance" } });

        Assert.True(reload.Contains("postgres/0 reload (property postgres.extensions; property postgres.work_mem)"), reload);
        Assert.True(restart.Contains("postgres/0 restart (property postgres.shared_buffers)"), restart);
        Assert.Equal(("120", "32MB", "8MB"), (await Show(id, "max_connections"), await Show(id, "shared_buffers"), await Show(id, "work_mem")));
        // earthdistance needs cube: it came along.
        Assert.Equal(new[] { "citext", "cube", "earthdistance", "pg_trgm" }, await Extensions(id));
        Assert.Equal(Rows, await Scalar<long>(id, "SELECT count(*) FROM kept WHERE name = ('ROW ' || n)::citext"));
        Assert.True(await Scalar<bool>(id, "SELECT similarity('postgres', 'postgre') > 0.5"));
    }

    [Fact]
    public async Task T3_DroppingAnExtensionSomethingStillUses_FailsTheUpdate_ChangingNothing_AndTheInstanceStaysUsable()
    {
        _broker = await fixture.Broker();
        var id = await Provisioned(new { extensions = new[] { "citext", "hstore" } });
        await Execute(id, "CREATE TABLE kept (name citext); INSERT INTO kept VALUES ('a')");

        var failed = await Update(id, new { work_mem = "16MB", extensions = new[] { "pg_trgm" } });

        Assert.Equal("failed", failed.State);
        Assert.Contains("extension citext", failed.Description);
        Assert.Contains("nothing was changed", failed.Description);
        var body = await (await Platform.LastOperation(id)).Json();
        Assert.Equal(true, (bool?)body["instance_usable"]);
        // One transaction: hstore (unused) was not dropped either, pg_trgm not created, work_mem not reloaded.
        Assert.Equal(new[] { "citext", "hstore" }, await Extensions(id));
        Assert.Equal("4MB", await Show(id, "work_mem"));
        Assert.Equal(1L, await Scalar<long>(id, "SELECT count(*) FROM kept"));
        // Repeatable: the same change once the table is gone goes through.
        await Execute(id, "DROP TABLE kept");
        await Updated(id, new { work_mem = "16MB", extensions = new[] { "pg_trgm" } });
        Assert.Equal(new[] { "pg_trgm" }, await Extensions(id));
        Assert.Equal("16MB", await Show(id, "work_mem"));
    }

    [Fact]
    public async Task T6_EveryExtensionThePlanSchemaOffers_IsInstalledOnThisMachine()
    {
        _broker = await fixture.Broker();
        var catalog = await (await Platform.GetAsync("/v2/catalog")).Json();
        var plan = catalog["services"]!.AsArray().Single(s => (string?)s!["id"] == ServiceId)!["plans"]!.AsArray()
            .Single(p => (string?)p!["id"] == SmallPlanId)!;
        var offered = plan["schemas"]!["service_instance"]!["update"]!["parameters"]!["properties"]!["extensions"]!["items"]!["enum"]!
            .AsArray().Select(e => (string)e!).ToList();
        var databasePlan = catalog["services"]!.AsArray().Single(s => (string?)s!["id"] == ServiceId)!["plans"]!.AsArray()
            .Single(p => (string?)p!["name"] == "database")!;
        var offeredInClusters = databasePlan["schemas"]!["service_instance"]!["create"]!["parameters"]!["properties"]!["extensions"]!["items"]!["enum"]!
            .AsArray().Select(e => (string)e!).ToList();
        var id = await Provisioned(null);

        var available = await Scalar<string[]>(id, "SELECT array_agg(name::text) FROM pg_available_extensions");

        Assert.NotEmpty(offered);
        Assert.Empty(offered.Except(available));
        Assert.Equal(offered, offeredInClusters);
    }

    [Fact]
    public async Task T5_HostileValues_AreRefusedWith400_AndNothingIsRecorded()
    {
        _broker = await fixture.Broker();
        var id = await Provisioned(null);
        object[] hostile =
        [
            new { extensions = new[] { "file_fdw" } },                 // installed, but reads the server's files: not offered
            new { extensions = new[] { "pg_trgm", "pg_trgm" } },
            new { extensions = "pg_trgm" },
            new { extensions = new[] { "pg_trgm; DROP TABLE x" } },
            new { extensions = new object[] { 42 } },
            new { shared_buffers = "99999MB" },
            new { shared_buffers = "32MB'; fsync = 'off" },
            new { work_mem = "-1MB" },
        ];
        foreach (var parameters in hostile)
        {
            var response = await Environment.Refused(Platform, client => client.PatchAsJsonAsync(
                $"/v2/service_instances/{id}?accepts_incomplete=true", new { service_id = ServiceId, parameters }));
            await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        }
        var provision = await Environment.Refused(Platform, client => client.Provision(Guid.NewGuid(),
            ProvisionBody(parameters: new { extensions = new[] { "plpython3u" } })));
        await provision.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
    }

    [Fact]
    public async Task T4_ConcurrentConflictingChanges_OneIsAccepted_TheOthersAreRefused_AndOnlyItsExtensionsAreThere()
    {
        _broker = await fixture.Broker();
        var id = await Provisioned(null);
        string[][] sets = [["pg_trgm"], ["hstore"], ["ltree"], ["citext"]];

        var answers = await Task.WhenAll(sets.Select(set => Platform.PatchAsJsonAsync(
            $"/v2/service_instances/{id}?accepts_incomplete=true", new { service_id = ServiceId, parameters = new { extensions = set } })));

        var accepted = Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Accepted);
        Assert.All(answers.Where(a => a != accepted), a => Assert.Equal(HttpStatusCode.UnprocessableEntity, a.StatusCode));
        Assert.Equal("succeeded", (await Platform.PollUntilDone(id)).State);
        var chosen = InstanceParameters(await Environment.InstanceEvents(id));
        Assert.Equal(chosen, await Extensions(id));
        Assert.Single(chosen);
    }

    [Fact]
    public async Task T1_ABrokerKilledRightAfterThe202_LeavesTheNextOneToFinishTheChange_Once()
    {
        // No other broker runs yet: the one killed is the only worker until the next one starts.
        var id = Guid.NewGuid();
        await using (var doomed = await BrokerProcess.Start(Environment))
        {
            _broker = doomed;
            await Provisioned(id, null);
            await Execute(id, $"CREATE TABLE kept AS SELECT n FROM generate_series(1, {Rows}) n");
            await (await Platform.PatchAsJsonAsync($"/v2/service_instances/{id}?accepts_incomplete=true",
                new { service_id = ServiceId, parameters = new { max_connections = 70, extensions = new[] { "pgcrypto" } } })).AcceptedOperation();
            await doomed.Kill();
        }
        _broker = await fixture.Broker();

        var done = await Platform.PollUntilDone(id);

        Assert.True(done.State == "succeeded", $"{done}\n{Output}");
        Assert.Equal(new[] { "pgcrypto" }, await Extensions(id));
        Assert.Equal("70", await Show(id, "max_connections"));
        Assert.Equal((long)Rows, await Scalar<long>(id, "SELECT count(*) FROM kept"));
        Assert.Single((await Environment.InstanceEvents(id)).OfType<ServiceInstanceUpdated>());
    }

    private string Output => _broker?.Output ?? "";

    private static List<string> InstanceParameters(IReadOnlyList<IDomainEvent> events) =>
        JsonNode.Parse(ServiceInstance.Fold(events).Parameters!)!["extensions"]!.AsArray().Select(e => (string)e!).ToList();

    private async Task<Guid> Provisioned(object? parameters) => await Provisioned(Guid.NewGuid(), parameters);

    private async Task<Guid> Provisioned(Guid id, object? parameters)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await Platform.Provision(id, ProvisionBody(parameters: parameters))).StatusCode);
        var done = await Platform.PollUntilDone(id);
        Assert.True(done.State == "succeeded", $"{done}\n{Output}");
        return id;
    }

    private async Task<(HttpStatusCode Status, string? State, string? Description)> Update(Guid id, object parameters)
    {
        await (await Platform.PatchAsJsonAsync($"/v2/service_instances/{id}?accepts_incomplete=true",
            new { service_id = ServiceId, parameters })).AcceptedOperation();
        return await Platform.PollUntilDone(id);
    }

    private async Task Updated(Guid id, object parameters)
    {
        var done = await Update(id, parameters);
        Assert.True(done.State == "succeeded", $"{done}\n{Output}");
    }

    private async Task<string> DryRun(Guid id, object parameters)
    {
        var node = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(parameters))!.AsObject();
        node["dry_run"] = true;
        var response = await Environment.Refused(Platform, client => client.PatchAsJsonAsync(
            $"/v2/service_instances/{id}?accepts_incomplete=true", new { service_id = ServiceId, parameters = node }));
        return (string)(await response.AssertOsbError(HttpStatusCode.UnprocessableEntity, error: null))["description"]!;
    }

    private Task Execute(Guid id, string sql) => Environment.Execute(id, sql);
    private Task<T> Scalar<T>(Guid id, string sql) => Environment.Scalar<T>(id, sql);
    private Task<string> Show(Guid id, string setting) => Environment.Show(id, setting);
    private async Task<List<string>> Extensions(Guid id) => (await Environment.Extensions(id)).ToList();
}
