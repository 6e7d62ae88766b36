using System.Net;
using System.Net.Http.Json;
using EventSourced.Broker.Tests.Clusters;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using Npgsql;

namespace EventSourced.Broker.Tests.Provisioning;

/// <summary>
/// A provisioner added by configuration only: a second PostgreSQL-based stanza with its own name, service, plan and
/// offering, given to the broker as environment variables, is in the catalog and provisions real servers.
/// </summary>
public sealed class ConfiguredProvisionerTests(ConfiguredProvisionerTests.AnalyticsBroker fixture) : IClassFixture<ConfiguredProvisionerTests.AnalyticsBroker>
{
    private const string ServiceId = "0a9d6e1c-7f3b-4c2d-8e5a-1b2c3d4e5f01";
    private const string PlanId = "0a9d6e1c-7f3b-4c2d-8e5a-1b2c3d4e5f11";
    private const string Stanza = "Provisioners__Definitions__analytics__";

    /// <summary>The whole provisioner, as an operator would write it into the environment.</summary>
    public static Dictionary<string, string> AnalyticsStanza() => new()
    {
        [$"{Stanza}Provides__Instance"] = "postgresql-server",
        [$"{Stanza}Provides__Storage"] = "local-directory",
        [$"{Stanza}Provides__Database"] = "postgresql-database",
        [$"{Stanza}ResourceUri"] = "postgresql://{host}:{port}/{database}?instance={instance_id}",
        [$"{Stanza}Offerings__workload__Description"] = "What the server is tuned for",
        [$"{Stanza}Offerings__workload__Values__0"] = "oltp",
        [$"{Stanza}Offerings__workload__Values__1"] = "reporting",
        [$"{Stanza}Service__Id"] = ServiceId,
        [$"{Stanza}Service__Name"] = "postgresql-analytics",
        [$"{Stanza}Service__Description"] = "PostgreSQL servers for analytics",
        [$"{Stanza}Service__Bindable"] = "true",
        [$"{Stanza}Service__Plans__0__Id"] = PlanId,
        [$"{Stanza}Service__Plans__0__Name"] = "analytics-small",
        [$"{Stanza}Service__Plans__0__Description"] = "A dedicated PostgreSQL server for analytics",
        [$"{Stanza}Service__Plans__0__DiskMb"] = "256",
    };

    public sealed class AnalyticsBroker : IAsyncLifetime
    {
        public BrokerEnvironment Environment { get; private set; } = null!;
        public BrokerProcess Broker { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Environment = await BrokerEnvironment.Create(AnalyticsStanza());
            Broker = await BrokerProcess.Start(Environment);
        }

        public async Task DisposeAsync()
        {
            await Broker.DisposeAsync();
            await Environment.DisposeAsync();
        }
    }

    [Fact]
    public async Task Catalog_HasTheConfiguredServiceBesideTheDefaultOne_WithItsOfferingInThePlanSchema()
    {
        var catalog = await (await fixture.Broker.Client.GetAsync("/v2/catalog")).AssertStatus(HttpStatusCode.OK);

        var services = catalog["services"]!.AsArray();
        Assert.Contains(services, s => (string)s!["id"]! == Hosting.Osb.ServiceId);
        var analytics = services.Single(s => (string)s!["id"]! == ServiceId)!;
        Assert.Equal("postgresql-analytics", (string)analytics["name"]!);
        var plan = analytics["plans"]!.AsArray().Single()!;
        Assert.Equal("analytics-small", (string)plan["name"]!);
        var workload = plan["schemas"]!["service_instance"]!["create"]!["parameters"]!["properties"]!["workload"]!;
        Assert.Equal(["oltp", "reporting"], workload["enum"]!.AsArray().Select(v => (string)v!));
    }

    [Fact]
    public async Task ProvisionBindDeprovision_OnTheConfiguredService_WithARealServer()
    {
        var client = fixture.Broker.Client;
        var instanceId = Guid.NewGuid();
        await (await client.PutAsJsonAsync($"/v2/service_instances/{instanceId}?accepts_incomplete=true",
            new { service_id = ServiceId, plan_id = PlanId, organization_guid = "org", space_guid = "space", parameters = new { workload = "reporting" } }))
            .AcceptedOperation();
        await client.Succeeds(instanceId, () => fixture.Broker.Output);

        var bound = await client.PutAsJsonAsync($"/v2/service_instances/{instanceId}/service_bindings/{Guid.NewGuid()}",
            new { service_id = ServiceId, plan_id = PlanId, app_guid = "app" });
        var credentials = (await bound.AssertStatus(HttpStatusCode.Created))["credentials"]!;
        await using (var connection = new NpgsqlConnection(
                         $"Host={credentials["host"]};Port={credentials["port"]};Database={credentials["database"]};Username={credentials["username"]};Password={credentials["password"]};Pooling=false"))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            Assert.Equal(1, await command.ExecuteScalarAsync());
        }

        await (await client.DeleteAsync($"/v2/service_instances/{instanceId}?accepts_incomplete=true&service_id={ServiceId}&plan_id={PlanId}"))
            .AcceptedOperation();
        await client.IsGone(instanceId, () => fixture.Broker.Output);
    }

    [Fact]
    public async Task Provision_OfferingValueOutsideItsChoices_Is400AndRecordsNothing()
    {
        var response = await fixture.Environment.Refused(fixture.Broker.Client, client =>
            client.PutAsJsonAsync($"/v2/service_instances/{Guid.NewGuid()}?accepts_incomplete=true",
                new { service_id = ServiceId, plan_id = PlanId, organization_guid = "org", space_guid = "space", parameters = new { workload = "batch'; DROP" } }));

        var body = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains("workload", (string)body["description"]!);
    }
}
