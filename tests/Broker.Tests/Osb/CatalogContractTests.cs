using System.Net;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>GET /v2/catalog as platforms of each API version see it, and provisioning against the plans' schemas and maintenance_info.</summary>
public sealed class CatalogContractTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private HttpClient Client => fixture.Broker.Client;

    private async Task<HttpResponseMessage> GetCatalog(string version, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/catalog");
        request.Headers.Add("X-Broker-API-Version", version);
        if (ifNoneMatch is not null) request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return await Client.SendAsync(request);
    }

    private async Task<JsonObject> Service(string version)
    {
        var response = await GetCatalog(version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Json())["services"]!.AsArray().Single()!.AsObject();
    }

    private static IEnumerable<JsonObject> Plans(JsonObject service) => service["plans"]!.AsArray().Select(p => p!.AsObject());

    [Fact]
    public async Task Catalog_V217_DescribesEveryServiceField()
    {
        var service = await Service("2.17");
        Assert.Equal(Hosting.Osb.ServiceId, (string?)service["id"]);
        Assert.Equal("postgresql-on-demand", (string?)service["name"]);
        Assert.False(string.IsNullOrEmpty((string?)service["description"]));
        Assert.Contains("postgresql", service["tags"]!.AsArray().Select(t => (string?)t));
        Assert.Empty(service["requires"]!.AsArray());
        Assert.Equal("PostgreSQL on demand", (string?)service["metadata"]!["displayName"]);
        foreach (var flag in new[] { "bindable", "instances_retrievable", "bindings_retrievable", "plan_updateable", "allow_context_updates" })
            Assert.True((bool?)service[flag], flag);
    }

    [Fact]
    public async Task Catalog_V217_DescribesEveryPlanField()
    {
        var all = Plans(await Service("2.17")).ToDictionary(p => (string)p["name"]!);
        Assert.Equal(["dedicated-small", "dedicated-large", "cluster-small", "cluster-large", "database"], all.Keys);
        var plans = all.Where(p => p.Key.StartsWith("dedicated-")).ToDictionary();
        Assert.Equal([Hosting.Osb.SmallPlanId, Hosting.Osb.LargePlanId], plans.Values.Select(p => (string?)p["id"]));
        Assert.True((bool?)plans["dedicated-small"]["free"]);
        Assert.False((bool?)plans["dedicated-large"]["free"]);
        foreach (var plan in plans.Values)
        {
            Assert.False(string.IsNullOrEmpty((string?)plan["description"]));
            Assert.True((bool?)plan["bindable"]);
            Assert.True((bool?)plan["plan_updateable"]);
            Assert.True((bool?)plan["binding_rotatable"]);
            Assert.Equal(3600, (int?)plan["maximum_polling_duration"]);
            Assert.Equal("1.0.0", (string?)plan["maintenance_info"]!["version"]);
            Assert.Equal("3", (string?)plan["metadata"]!["max_instances"]);
            Assert.False(string.IsNullOrEmpty((string?)plan["maintenance_info"]!["description"]));
            foreach (var instanceSchema in new[] { plan["schemas"]!["service_instance"]!["create"]!, plan["schemas"]!["service_instance"]!["update"]! })
            {
                var parameters = instanceSchema["parameters"]!;
                Assert.Equal("http://json-schema.org/draft-07/schema#", (string?)parameters["$schema"]);
                Assert.Equal(["instances", "azs", "max_connections", "shared_buffers", "work_mem", "extensions", "backup"], parameters["properties"]!.AsObject().Select(p => p.Key));
                Assert.Equal("integer", (string?)parameters["properties"]!["instances"]!["type"]);
                Assert.Equal(1, (int?)parameters["properties"]!["instances"]!["minimum"]);
                var azs = parameters["properties"]!["azs"]!;
                Assert.Equal(["array", "null"], azs["type"]!.AsArray().Select(t => (string?)t));
                Assert.Equal(1, (int?)azs["minItems"]);
                Assert.True((bool?)azs["uniqueItems"]);
                Assert.Equal("string", (string?)azs["items"]!["type"]);
                var backup = parameters["properties"]!["backup"]!;
                Assert.Equal(["enabled", "schedule", "retain"], backup["properties"]!.AsObject().Select(p => p.Key));
                Assert.Equal("boolean", (string?)backup["properties"]!["enabled"]!["type"]);
                Assert.Equal(1, (int?)backup["properties"]!["retain"]!["minimum"]);
                Assert.False((bool?)backup["additionalProperties"]);
                Assert.Equal("integer", (string?)parameters["properties"]!["max_connections"]!["type"]);
                Assert.Equal(10, (int?)parameters["properties"]!["max_connections"]!["minimum"]);
                Assert.Equal(500, (int?)parameters["properties"]!["max_connections"]!["maximum"]);
                Assert.False((bool?)parameters["additionalProperties"]);
            }
            var binding = plan["schemas"]!["service_binding"]!["create"]!["parameters"]!;
            Assert.Empty(binding["properties"]!.AsObject());
            Assert.False((bool?)binding["additionalProperties"]);
        }
    }

    [Fact]
    public async Task Catalog_V217_ClusterPlansAreNotBindable_TheDatabasePlanIsAndNamesItsCluster()
    {
        var plans = Plans(await Service("2.17")).ToDictionary(p => (string)p["name"]!);
        foreach (var cluster in new[] { plans["cluster-small"], plans["cluster-large"] })
        {
            Assert.False((bool?)cluster["bindable"]);
            Assert.True((bool?)cluster["plan_updateable"]);
            var properties = cluster["schemas"]!["service_instance"]!["update"]!["parameters"]!["properties"]!.AsObject();
            Assert.Equal(["max_connections", "shared_buffers", "work_mem", "share"], properties.Select(p => p.Key));
        }
        var database = plans["database"];
        Assert.True((bool?)database["bindable"]);
        Assert.False((bool?)database["plan_updateable"]);
        var create = database["schemas"]!["service_instance"]!["create"]!["parameters"]!;
        Assert.Equal(["cluster"], create["required"]!.AsArray().Select(r => (string?)r));
        Assert.Equal(["cluster", "cluster-org", "cluster-space", "extensions"], create["properties"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task Catalog_V213_ShowsOnlyFieldsThatExistIn213()
    {
        var response = await GetCatalog("2.13");
        Assert.Null(response.Headers.ETag);
        var service = (await response.Json())["services"]!.AsArray().Single()!.AsObject();
        foreach (var field in new[] { "instances_retrievable", "bindings_retrievable", "allow_context_updates" })
            Assert.False(service.ContainsKey(field), field);
        Assert.Equal(5, Plans(service).Count());
        foreach (var plan in Plans(service))
        {
            foreach (var field in new[] { "plan_updateable", "maximum_polling_duration", "maintenance_info", "binding_rotatable" })
                Assert.False(plan.ContainsKey(field), field);
            Assert.True(plan.ContainsKey("schemas"));
        }
    }

    [Fact]
    public async Task Catalog_V215_HasMaintenanceInfoButNoBindingRotation()
    {
        var service = await Service("2.15");
        Assert.True((bool?)service["allow_context_updates"]);
        Assert.Equal(5, Plans(service).Count());
        foreach (var plan in Plans(service).Where(p => (string?)p["name"] != "database"))
        {
            Assert.Equal("1.0.0", (string?)plan["maintenance_info"]!["version"]);
            Assert.Equal(3600, (int?)plan["maximum_polling_duration"]);
            Assert.False(plan.ContainsKey("binding_rotatable"));
        }
    }

    [Fact]
    public async Task Catalog_IfNoneMatchWithItsETag_Returns304()
    {
        var first = await GetCatalog("2.17");
        var etag = first.Headers.ETag!.Tag;

        var again = await GetCatalog("2.17", etag);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Equal(etag, again.Headers.ETag?.Tag);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotModified, (await GetCatalog("2.17", $"\"other\", W/{etag}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetCatalog("2.17", "\"other\"")).StatusCode);
    }

    [Fact]
    public async Task Catalog_ETag_IsPerApiVersion()
    {
        var v216 = (await GetCatalog("2.16")).Headers.ETag!.Tag;
        var v217 = (await GetCatalog("2.17")).Headers.ETag!.Tag;
        Assert.NotEqual(v216, v217);
        Assert.Equal(HttpStatusCode.OK, (await GetCatalog("2.17", v216)).StatusCode);
        Assert.Equal(v217, (await GetCatalog("2.17")).Headers.ETag!.Tag);
    }

    [Fact]
    public async Task Provision_ParametersOutsideTheSchema_Returns400ListingEveryError_AndAppendsNothing()
    {
        var before = await fixture.Environment.EventCount();
        var response = await Client.Provision(Guid.NewGuid(), Hosting.Osb.ProvisionBody(parameters: new { max_connections = 5000, fsync = false }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var description = (string?)(await response.Json())["description"];
        Assert.Contains("parameters/max_connections: 5000 should be at most 500.", description);
        Assert.Contains("parameters/fsync: Value is not allowed.", description);
        Assert.Equal(before, await fixture.Environment.EventCount());
    }

    [Fact]
    public async Task Provision_MaintenanceInfoOfAnotherVersion_Returns422MaintenanceInfoConflict_AndAppendsNothing()
    {
        var before = await fixture.Environment.EventCount();
        var response = await Client.Provision(Guid.NewGuid(), Body(maintenanceVersion: "0.9.0"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("MaintenanceInfoConflict", (string?)(await response.Json())["error"]);
        Assert.Equal(before, await fixture.Environment.EventCount());
    }

    [Fact]
    public async Task Provision_ParametersAndMaintenanceInfoOfThePlan_Returns202()
    {
        var instanceId = Guid.NewGuid();
        var response = await Client.Provision(instanceId, Body(maintenanceVersion: "1.0.0", maxConnections: 50));

        await response.AcceptedOperation();
        // Ended before the test does: work left running would change the event counts its neighbours compare.
        await fixture.AssertEnds(instanceId, HttpStatusCode.OK, "succeeded");
    }

    private static object Body(string maintenanceVersion, int? maxConnections = null) => new
    {
        service_id = Hosting.Osb.ServiceId,
        plan_id = Hosting.Osb.SmallPlanId,
        organization_guid = "org-guid",
        space_guid = "space-guid",
        parameters = maxConnections is null ? null : new { max_connections = maxConnections },
        maintenance_info = new { version = maintenanceVersion },
    };
}
