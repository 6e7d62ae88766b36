using System.Net;
using System.Text.Json.Nodes;
using EventSourced.ServiceManager.Tests.Support;

namespace EventSourced.ServiceManager.Tests.Proxy;

/// <summary>The OSB proxy: platforms provision, bind, unbind and deprovision at real brokers through the manager, which tracks it all.</summary>
public sealed class ProxyTests(TwoBrokers brokers) : IClassFixture<TwoBrokers>
{
    private HttpClient Admin => brokers.Manager.Admin;

    private async Task<(Platform Platform, HttpClient Osb)> PlatformSeeing(string brokerId, string catalogPlanId, JsonObject? labels = null)
    {
        var platform = await Admin.RegisterPlatform($"p-{Guid.NewGuid():N}");
        await Admin.Show(platform.Id, await Admin.PlanId(brokerId, catalogPlanId), labels);
        return (platform, brokers.Manager.Osb(platform, brokerId));
    }

    [Fact]
    public async Task Provision_bind_unbind_and_deprovision_go_through_to_the_broker_and_are_tracked()
    {
        var (platform, osb) = await PlatformSeeing(brokers.BrokerBId, Catalogs.SmallB);
        var instanceId = Guid.NewGuid().ToString();
        var context = new JsonObject { ["platform"] = "kubernetes", ["namespace"] = "shop", ["instance_name"] = "orders-db" };
        var accepted = await osb.Provision(instanceId, Sm.ProvisionBody(Catalogs.ServiceB, Catalogs.SmallB, context)).Expect(HttpStatusCode.Accepted);
        Assert.NotNull(accepted["operation"]);
        var tracked = await Admin.Instance(instanceId);
        Assert.Equal(platform.Id, tracked!["platform_id"]!.GetValue<string>());
        Assert.Equal("shop", tracked["context"]!["namespace"]!.GetValue<string>());

        var done = await osb.PollUntilDone($"v2/service_instances/{instanceId}");
        Assert.True(done.State == "succeeded", done.Body + brokers.Output);
        tracked = await Admin.Instance(instanceId);
        Assert.Equal("orders-db", tracked!["name"]!.GetValue<string>());
        Assert.True(tracked["ready"]!.GetValue<bool>());
        Assert.Equal("create succeeded", tracked["state"]!.GetValue<string>());
        Assert.Equal(brokers.BrokerBId, tracked["broker_id"]!.GetValue<string>());

        // The broker itself has it: the proxy forwarded it there.
        Assert.Equal(HttpStatusCode.OK, (await brokers.BrokerB.Client.GetAsync($"/v2/service_instances/{instanceId}")).StatusCode);

        var bindingId = Guid.NewGuid().ToString();
        var bound = await osb.Put($"v2/service_instances/{instanceId}/service_bindings/{bindingId}", new JsonObject
        {
            ["service_id"] = Catalogs.ServiceB, ["plan_id"] = Catalogs.SmallB, ["context"] = context.DeepClone(),
        }).Expect(HttpStatusCode.Created);
        var password = bound["credentials"]!["password"]!.GetValue<string>();
        var binding = await Admin.GetAsync($"/v1/service_bindings/{bindingId}").Expect(HttpStatusCode.OK);
        Assert.Equal(instanceId, binding["service_instance_id"]!.GetValue<string>());
        Assert.Equal(platform.Id, binding["platform_id"]!.GetValue<string>());
        Assert.True(binding["ready"]!.GetValue<bool>());
        Assert.Equal(0, await brokers.Manager.CountOccurrences(password));
        // Fetching the binding asks the broker (the manager keeps no credentials).
        var fetched = await osb.GetAsync($"v2/service_instances/{instanceId}/service_bindings/{bindingId}").Expect(HttpStatusCode.OK);
        Assert.Equal(password, fetched["credentials"]!["password"]!.GetValue<string>());

        // The broker cannot be deregistered under its instance.
        var refused = await Admin.DeleteAsync($"/v1/service_brokers/{brokers.BrokerBId}").Expect(HttpStatusCode.Conflict);
        Assert.Contains("1 service instance", refused["description"]!.GetValue<string>());

        await osb.DeleteAsync($"v2/service_instances/{instanceId}/service_bindings/{bindingId}?service_id={Catalogs.ServiceB}&plan_id={Catalogs.SmallB}")
            .Expect(HttpStatusCode.OK);
        await Admin.GetAsync($"/v1/service_bindings/{bindingId}").Expect(HttpStatusCode.NotFound);

        await osb.DeprovisionAndWait(instanceId, Catalogs.ServiceB, Catalogs.SmallB);
        var gone = await osb.PollUntilDone($"v2/service_instances/{instanceId}");
        Assert.Equal(HttpStatusCode.Gone, gone.Status);
        Assert.Null(await Admin.Instance(instanceId));
        var operations = await Admin.GetAsync($"/v1/operations?fieldQuery={Uri.EscapeDataString($"resource_id eq '{instanceId}'")}").Expect(HttpStatusCode.OK);
        Assert.Equal(["create succeeded", "delete succeeded"], operations["items"]!.AsArray()
            .Select(o => $"{o!["type"]} {o["state"]}"));
    }

    [Fact]
    public async Task Two_platforms_provisioning_one_instance_id_at_once_get_one_instance_and_one_conflict()
    {
        var (first, firstOsb) = await PlatformSeeing(brokers.BrokerBId, Catalogs.SmallB);
        var (second, secondOsb) = await PlatformSeeing(brokers.BrokerBId, Catalogs.SmallB);
        var instanceId = Guid.NewGuid().ToString();
        var answers = await Task.WhenAll(new[] { (first, firstOsb), (second, secondOsb) }.Select(async p =>
        {
            using var response = await p.Item2.Provision(instanceId, Sm.ProvisionBody(Catalogs.ServiceB, Catalogs.SmallB));
            return (Platform: p.Item1, response.StatusCode);
        }));
        var winner = Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Accepted);
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Conflict);
        Assert.Equal(winner.Platform.Id, (await Admin.Instance(instanceId))!["platform_id"]!.GetValue<string>());

        var (winnerOsb, loserOsb) = winner.Platform == first ? (firstOsb, secondOsb) : (secondOsb, firstOsb);
        Assert.Equal("succeeded", (await winnerOsb.PollUntilDone($"v2/service_instances/{instanceId}")).State);
        Assert.Equal(HttpStatusCode.NotFound, (await loserOsb.GetAsync($"v2/service_instances/{instanceId}/last_operation")).StatusCode);
        await winnerOsb.DeprovisionAndWait(instanceId, Catalogs.ServiceB, Catalogs.SmallB);
    }

    [Fact]
    public async Task A_platform_cannot_see_or_touch_another_platforms_instance()
    {
        var (_, owner) = await PlatformSeeing(brokers.BrokerBId, Catalogs.SmallB);
        var (_, other) = await PlatformSeeing(brokers.BrokerBId, Catalogs.SmallB);
        var instanceId = Guid.NewGuid().ToString();
        await owner.Provision(instanceId, Sm.ProvisionBody(Catalogs.ServiceB, Catalogs.SmallB)).Expect(HttpStatusCode.Accepted);
        Assert.Equal("succeeded", (await owner.PollUntilDone($"v2/service_instances/{instanceId}")).State);

        var before = await brokers.Manager.EventCount();
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"v2/service_instances/{instanceId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"v2/service_instances/{instanceId}/last_operation")).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await other.Deprovision(instanceId, Catalogs.ServiceB, Catalogs.SmallB)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Put($"v2/service_instances/{instanceId}/service_bindings/{Guid.NewGuid()}",
            new JsonObject { ["service_id"] = Catalogs.ServiceB, ["plan_id"] = Catalogs.SmallB })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Patch($"v2/service_instances/{instanceId}?accepts_incomplete=true",
            new JsonObject { ["service_id"] = Catalogs.ServiceB, ["plan_id"] = Catalogs.LargeB })).StatusCode);
        Assert.Equal(before, await brokers.Manager.EventCount());
        Assert.Equal(HttpStatusCode.OK, (await brokers.BrokerB.Client.GetAsync($"/v2/service_instances/{instanceId}")).StatusCode);
        await owner.DeprovisionAndWait(instanceId, Catalogs.ServiceB, Catalogs.SmallB);
    }

    [Theory]
    [InlineData("../etc", "{}", HttpStatusCode.BadRequest, "instance_id must be")]
    [InlineData("GUID", "not json", HttpStatusCode.BadRequest, "not valid JSON")]
    [InlineData("GUID", "{\"service_id\":\"S\",\"plan_id\":\"P\",\"context\":[]}", HttpStatusCode.BadRequest, "context must be an object")]
    [InlineData("GUID", "{\"service_id\":\"S\",\"plan_id\":\"P\",\"parameters\":\"x\"}", HttpStatusCode.BadRequest, "parameters must be an object")]
    [InlineData("GUID", "{\"service_id\":\"S\"}", HttpStatusCode.BadRequest, "plan_id is required")]
    [InlineData("GUID", "{\"service_id\":\"S\",\"plan_id\":\"no-such-plan\"}", HttpStatusCode.BadRequest, "is not a plan of service_id")]
    [InlineData("GUID", "{\"service_id\":\"S\",\"plan_id\":\"LARGE\"}", HttpStatusCode.NotFound, "not visible to this platform")]
    public async Task A_hostile_provision_is_refused_before_the_broker_is_asked_and_records_nothing(
        string instanceId, string body, HttpStatusCode status, string named)
    {
        var (_, osb) = await PlatformSeeing(brokers.BrokerBId, Catalogs.SmallB);
        if (instanceId == "GUID") instanceId = Guid.NewGuid().ToString();
        body = body.Replace("\"S\"", $"\"{Catalogs.ServiceB}\"").Replace("\"P\"", $"\"{Catalogs.SmallB}\"").Replace("\"LARGE\"", $"\"{Catalogs.LargeB}\"");
        var before = await brokers.Manager.EventCount();
        using var response = await osb.PutAsync($"v2/service_instances/{Uri.EscapeDataString(instanceId)}?accepts_incomplete=true",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == status, await response.Describe());
        Assert.Contains(named, (await response.Json())["description"]!.GetValue<string>());
        Assert.Equal(before, await brokers.Manager.EventCount());
    }

    [Fact]
    public async Task The_proxy_asks_for_an_api_version_and_a_known_broker()
    {
        var (platform, osb) = await PlatformSeeing(brokers.BrokerBId, Catalogs.SmallB);
        osb.DefaultRequestHeaders.Remove("X-Broker-API-Version");
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await osb.GetAsync("v2/catalog")).StatusCode);
        using var nowhere = brokers.Manager.Osb(platform, "no-such-broker");
        Assert.Equal(HttpStatusCode.NotFound, (await nowhere.GetAsync("v2/catalog")).StatusCode);
    }

    [Fact]
    public async Task A_labelled_visibility_lets_the_platform_provision_only_in_the_labelled_contexts()
    {
        var (_, osb) = await PlatformSeeing(brokers.BrokerBId, Catalogs.SmallB,
            new JsonObject { ["organization_guid"] = new JsonArray("org-allowed") });
        JsonObject InOrg(string org) => Sm.ProvisionBody(Catalogs.ServiceB, Catalogs.SmallB,
            new JsonObject { ["platform"] = "cloudfoundry", ["organization_guid"] = org, ["space_guid"] = "s" });

        var refused = await osb.Provision(Guid.NewGuid().ToString(), InOrg("org-other")).Expect(HttpStatusCode.NotFound);
        Assert.Contains("not visible", refused["description"]!.GetValue<string>());
        var instanceId = Guid.NewGuid().ToString();
        await osb.Provision(instanceId, InOrg("org-allowed")).Expect(HttpStatusCode.Accepted);
        Assert.Equal("succeeded", (await osb.PollUntilDone($"v2/service_instances/{instanceId}")).State);
        await osb.DeprovisionAndWait(instanceId, Catalogs.ServiceB, Catalogs.SmallB);
    }

    private async Task<(HttpClient Osb, string InstanceId)> ReadyInstance()
    {
        var (_, osb) = await PlatformSeeing(brokers.BrokerBId, Catalogs.SmallB);
        var instanceId = Guid.NewGuid().ToString();
        await osb.Provision(instanceId, Sm.ProvisionBody(Catalogs.ServiceB, Catalogs.SmallB)).Expect(HttpStatusCode.Accepted);
        Assert.Equal("succeeded", (await osb.PollUntilDone($"v2/service_instances/{instanceId}")).State);
        return (osb, instanceId);
    }

    [Fact]
    public async Task Two_different_binds_of_one_binding_id_at_once_make_one_binding_and_one_conflict()
    {
        var (osb, instanceId) = await ReadyInstance();
        var bindingId = Guid.NewGuid().ToString();
        var answers = await Task.WhenAll(new[] { "app-1", "app-2" }.Select(async app =>
        {
            using var response = await osb.Put($"v2/service_instances/{instanceId}/service_bindings/{bindingId}", new JsonObject
            {
                ["service_id"] = Catalogs.ServiceB, ["plan_id"] = Catalogs.SmallB, ["bind_resource"] = new JsonObject { ["app_guid"] = app },
                ["context"] = new JsonObject { ["platform"] = "kubernetes", ["app"] = app },
            });
            return response.StatusCode;
        }));
        Assert.Single(answers, a => a == HttpStatusCode.Created);
        Assert.Single(answers, a => a == HttpStatusCode.Conflict);
        await Admin.GetAsync($"/v1/service_bindings/{bindingId}").Expect(HttpStatusCode.OK);
        await osb.DeleteAsync($"v2/service_instances/{instanceId}/service_bindings/{bindingId}?service_id={Catalogs.ServiceB}&plan_id={Catalogs.SmallB}")
            .Expect(HttpStatusCode.OK);
        await osb.DeprovisionAndWait(instanceId, Catalogs.ServiceB, Catalogs.SmallB);
    }

    [Fact]
    public async Task A_hostile_bind_is_refused_before_the_broker_is_asked_and_records_nothing()
    {
        var (osb, instanceId) = await ReadyInstance();
        var before = await brokers.Manager.EventCount();
        async Task Refused(string path, string body, HttpStatusCode status, string named)
        {
            using var response = await osb.PutAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.True(response.StatusCode == status, await response.Describe());
            Assert.Contains(named, (await response.Json())["description"]!.GetValue<string>());
        }
        var binding = $"v2/service_instances/{instanceId}/service_bindings";
        await Refused($"{binding}/bad%20id", "{}", HttpStatusCode.BadRequest, "binding_id must be");
        await Refused($"{binding}/{Guid.NewGuid()}", "[]", HttpStatusCode.BadRequest, "must be a JSON object");
        await Refused($"{binding}/{Guid.NewGuid()}", "{\"parameters\":[1]}", HttpStatusCode.BadRequest, "parameters must be an object");
        await Refused($"v2/service_instances/{Guid.NewGuid()}/service_bindings/{Guid.NewGuid()}", "{}", HttpStatusCode.NotFound, "not found");
        Assert.Equal(before, await brokers.Manager.EventCount());
        await osb.DeprovisionAndWait(instanceId, Catalogs.ServiceB, Catalogs.SmallB);
    }
}
