using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.DayTwo;

/// <summary>
/// Day-2 category 6, software upgrade on demand, with releases that change the server: the catalog describes three releases
/// of the PostgreSQL offering — 1.0.0 (nothing), 2.0.0 (max_connections 90, work_mem 12MB, pg_trgm, a migration), 3.0.0
/// (hstore too, and a migration that fails) — and each broker of the test serves the dedicated-small plan at one of them.
/// An instance provisioned on 1.0.0 is upgraded by PATCH with the new maintenance_info: the release's settings (under the
/// instance's own), extensions and migration take effect, every row kept; the failing migration rolls the upgrade back
/// whole, the instance staying usable on 2.0.0.
/// </summary>
public sealed class ReleaseUpgradeTests : IAsyncLifetime
{
    private const int Rows = 300;
    private BrokerEnvironment _environment = null!;

    public async Task InitializeAsync() => _environment = await BrokerEnvironment.Create(new Dictionary<string, string>
    {
        ["Catalog__Services__0__Releases__0__Version"] = "1.0.0",
        ["Catalog__Services__0__Releases__1__Version"] = "2.0.0",
        ["Catalog__Services__0__Releases__1__Settings__max_connections"] = "90",
        ["Catalog__Services__0__Releases__1__Settings__work_mem"] = "12MB",
        ["Catalog__Services__0__Releases__1__Extensions__0"] = "pg_trgm",
        ["Catalog__Services__0__Releases__1__Migration"] = "CREATE TABLE IF NOT EXISTS release_marker AS SELECT '2.0.0'::text AS version; GRANT SELECT ON release_marker TO PUBLIC",
        ["Catalog__Services__0__Releases__2__Version"] = "3.0.0",
        ["Catalog__Services__0__Releases__2__Extensions__0"] = "pg_trgm",
        ["Catalog__Services__0__Releases__2__Extensions__1"] = "hstore",
        ["Catalog__Services__0__Releases__2__Migration"] = "UPDATE release_marker SET version = '3.0.0'; SELECT 1 / 0",
    });

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    private static Dictionary<string, string> Serving(string version) => new()
    {
        ["Catalog__Services__0__Plans__0__MaintenanceInfo__Version"] = version,
    };

    [Fact]
    public async Task AnUpgrade_AppliesTheReleasesSettingsExtensionsAndMigration_KeepingRows_AndAFailingMigrationChangesNothing()
    {
        var id = Guid.NewGuid();
        await using (var onFirst = await BrokerProcess.Start(_environment, Serving("1.0.0")))
        {
            Assert.Equal(HttpStatusCode.Accepted, (await onFirst.Client.Provision(id, ProvisionBody(parameters: new { work_mem = "20MB" }))).StatusCode);
            Assert.Equal("succeeded", (await onFirst.Client.PollUntilDone(id)).State);
            await Execute(id, $"CREATE TABLE kept AS SELECT n FROM generate_series(1, {Rows}) n");
            Assert.Equal(("50", "20MB"), (await Show(id, "max_connections"), await Show(id, "work_mem")));
        }

        await using (var onSecond = await BrokerProcess.Start(_environment, Serving("2.0.0")))
        {
            var dryRun = await _environment.Refused(onSecond.Client, client => Patch(client, id, "2.0.0", dryRun: true));
            Assert.Contains("job postgres 1.0.0 → 2.0.0", (string)(await dryRun.AssertOsbError(HttpStatusCode.UnprocessableEntity, error: null))["description"]!);

            await (await Patch(onSecond.Client, id, "2.0.0")).AcceptedOperation();
            var done = await onSecond.Client.PollUntilDone(id);

            Assert.True(done.State == "succeeded", $"{done}\n{onSecond.Output}");
            // The release's max_connections; the instance's own work_mem over the release's 12MB.
            Assert.Equal(("90", "20MB"), (await Show(id, "max_connections"), await Show(id, "work_mem")));
            Assert.Equal(new[] { "pg_trgm" }, await Extensions(id));
            Assert.Equal("2.0.0", await Scalar<string>(id, "SELECT version FROM release_marker"));
            Assert.Equal((long)Rows, await Scalar<long>(id, "SELECT count(*) FROM kept"));
            Assert.Equal("2.0.0", ServiceInstance.Fold(await _environment.InstanceEvents(id)).MaintenanceVersion);
        }

        await using var onThird = await BrokerProcess.Start(_environment, Serving("3.0.0"));
        await (await Patch(onThird.Client, id, "3.0.0")).AcceptedOperation();
        var failed = await onThird.Client.PollUntilDone(id);

        Assert.Equal("failed", failed.State);
        Assert.Contains("the upgrade to release 3.0.0 was rolled back, nothing was changed", failed.Description);
        Assert.Contains("division by zero", failed.Description);
        Assert.Equal(true, (bool?)(await (await onThird.Client.LastOperation(id)).Json())["instance_usable"]);
        Assert.Equal("2.0.0", ServiceInstance.Fold(await _environment.InstanceEvents(id)).MaintenanceVersion);
        // One transaction: neither hstore nor the migration's first statement stayed.
        Assert.Equal(new[] { "pg_trgm" }, await Extensions(id));
        Assert.Equal("2.0.0", await Scalar<string>(id, "SELECT version FROM release_marker"));
        Assert.Equal((long)Rows, await Scalar<long>(id, "SELECT count(*) FROM kept"));

        // A new instance on release 3.0.0 is made with its extensions (a migration is for upgrades only).
        var fresh = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.Accepted, (await onThird.Client.Provision(fresh, ProvisionBody())).StatusCode);
        Assert.Equal("succeeded", (await onThird.Client.PollUntilDone(fresh)).State);
        Assert.Equal(new[] { "hstore", "pg_trgm" }, await Extensions(fresh));
    }

    private static Task<HttpResponseMessage> Patch(HttpClient client, Guid id, string version, bool dryRun = false)
    {
        var body = new JsonObject { ["service_id"] = ServiceId, ["maintenance_info"] = new JsonObject { ["version"] = version } };
        if (dryRun) body["parameters"] = new JsonObject { ["dry_run"] = true };
        return client.PatchAsJsonAsync($"/v2/service_instances/{id}?accepts_incomplete=true", body);
    }

    private Task Execute(Guid id, string sql) => _environment.Execute(id, sql);
    private Task<T> Scalar<T>(Guid id, string sql) => _environment.Scalar<T>(id, sql);
    private Task<string> Show(Guid id, string setting) => _environment.Show(id, setting);
    private Task<string[]> Extensions(Guid id) => _environment.Extensions(id);
}
