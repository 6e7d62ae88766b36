using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace EventSourced.ServiceManager.Tests.Support;

/// <summary>What operators and platforms do against the Service Manager in these tests, spelled once.</summary>
public static class Sm
{
    public static async Task<JsonObject> Json(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) as JsonObject ?? [];

    public static async Task<string> Describe(this HttpResponseMessage response) =>
        $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";

    public static Task<HttpResponseMessage> Post(this HttpClient client, string path, JsonObject body) => client.PostAsJsonAsync(path, body);

    public static Task<HttpResponseMessage> Patch(this HttpClient client, string path, JsonObject body) => client.PatchAsJsonAsync(path, body);

    public static Task<HttpResponseMessage> Put(this HttpClient client, string path, JsonObject body) => client.PutAsJsonAsync(path, body);

    public static async Task<JsonObject> Expect(this Task<HttpResponseMessage> request, HttpStatusCode status)
    {
        using var response = await request;
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {await response.Describe()}");
        return await response.Json();
    }

    public static JsonObject BrokerBody(BrokerProcess broker, BrokerEnvironment environment, string name) => new()
    {
        ["name"] = name,
        ["description"] = "a broker of the tests",
        ["broker_url"] = broker.BaseAddress.ToString().TrimEnd('/'),
        ["credentials"] = new JsonObject { ["basic"] = new JsonObject { ["username"] = environment.Username, ["password"] = environment.Password } },
    };

    public static async Task<string> RegisterBroker(this HttpClient admin, BrokerProcess broker, BrokerEnvironment environment, string name) =>
        (await admin.Post("/v1/service_brokers", BrokerBody(broker, environment, name)).Expect(HttpStatusCode.Created))["id"]!.GetValue<string>();

    public static async Task<Platform> RegisterPlatform(this HttpClient admin, string name, string type = "kubernetes")
    {
        var body = await admin.Post("/v1/platforms", new JsonObject { ["name"] = name, ["type"] = type }).Expect(HttpStatusCode.Created);
        var basic = body["credentials"]!["basic"]!;
        return new Platform(body["id"]!.GetValue<string>(), basic["username"]!.GetValue<string>(), basic["password"]!.GetValue<string>());
    }

    /// <summary>The manager's id of a broker's catalog plan (found with the query language, as an operator would).</summary>
    public static async Task<string> PlanId(this HttpClient admin, string brokerId, string catalogPlanId)
    {
        var offerings = await admin.GetAsync($"/v1/service_offerings?fieldQuery={Uri.EscapeDataString($"broker_id eq '{brokerId}'")}").Expect(HttpStatusCode.OK);
        var offeringIds = string.Join(", ", offerings["items"]!.AsArray().Select(o => $"'{o!["id"]}'"));
        var query = $"catalog_id eq '{catalogPlanId}' and service_offering_id in ({offeringIds})";
        var plans = await admin.GetAsync($"/v1/service_plans?fieldQuery={Uri.EscapeDataString(query)}").Expect(HttpStatusCode.OK);
        return Assert.Single(plans["items"]!.AsArray())!["id"]!.GetValue<string>();
    }

    public static async Task<string> Show(this HttpClient admin, string? platformId, string planId, JsonObject? labels = null) =>
        (await admin.Post("/v1/visibilities", new JsonObject
        {
            ["platform_id"] = platformId, ["service_plan_id"] = planId, ["labels"] = labels ?? new JsonObject(),
        }).Expect(HttpStatusCode.Created))["id"]!.GetValue<string>();

    public static JsonObject ProvisionBody(string serviceId, string planId, JsonObject? context = null, JsonObject? parameters = null) => new()
    {
        ["service_id"] = serviceId,
        ["plan_id"] = planId,
        ["organization_guid"] = "org-guid",
        ["space_guid"] = "space-guid",
        ["context"] = context ?? new JsonObject { ["platform"] = "kubernetes", ["namespace"] = "default", ["instance_name"] = "db" },
        ["parameters"] = parameters,
    };

    public static Task<HttpResponseMessage> Provision(this HttpClient osb, string instanceId, JsonObject body) =>
        osb.Put($"v2/service_instances/{instanceId}?accepts_incomplete=true", body);

    public static Task<HttpResponseMessage> Deprovision(this HttpClient osb, string instanceId, string serviceId, string planId) =>
        osb.DeleteAsync($"v2/service_instances/{instanceId}?accepts_incomplete=true&service_id={serviceId}&plan_id={planId}");

    /// <summary>Deprovisions through the proxy and waits until the broker and the manager are done with it, so nothing is recorded after the test.</summary>
    public static async Task DeprovisionAndWait(this HttpClient osb, string instanceId, string serviceId, string planId)
    {
        await osb.Deprovision(instanceId, serviceId, planId).Expect(HttpStatusCode.Accepted);
        var gone = await osb.PollUntilDone($"v2/service_instances/{instanceId}");
        Assert.True(gone.Status == HttpStatusCode.Gone, gone.Body);
    }

    /// <summary>Polls last_operation through the proxy, as a platform does, until it is no longer in progress.</summary>
    public static Task<(HttpStatusCode Status, string? State, string Body)> PollUntilDone(this HttpClient osb, string path, double seconds = 90) =>
        Eventually.Until(async () =>
            {
                using var response = await osb.GetAsync($"{path}/last_operation");
                var text = await response.Content.ReadAsStringAsync();
                return (response.StatusCode, State: (JsonNode.Parse(text) as JsonObject)?["state"]?.ToString(), text);
            },
            answer => answer.StatusCode != HttpStatusCode.OK || answer.State != "in progress", $"{path}'s last operation ends", seconds);

    public static async Task<JsonObject?> Instance(this HttpClient admin, string instanceId)
    {
        using var response = await admin.GetAsync($"/v1/service_instances/{instanceId}");
        return response.StatusCode == HttpStatusCode.NotFound ? null : await response.Json();
    }
}
