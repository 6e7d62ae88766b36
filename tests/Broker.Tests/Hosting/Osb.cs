using EventSourced.TestSupport;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EventSourced.Broker.Tests.Hosting;

/// <summary>What a platform does against the broker: the OSB calls of the tests, spelled once.</summary>
public static class Osb
{
    public const string ServiceId = "3f6b3cf2-6f0e-4d6c-9a43-0d6a8a7a1c01";
    public const string SmallPlanId = "9d1d7c6e-2b7a-4f57-8f2f-5c1d0a5e3b11";
    public const string LargePlanId = "c4b2a8f1-7e3d-4c9a-b6f0-2d8e1f4a5c22";

    public static object ProvisionBody(string planId = SmallPlanId, object? parameters = null) => new
    {
        service_id = ServiceId,
        plan_id = planId,
        organization_guid = "org-guid",
        space_guid = "space-guid",
        parameters,
    };

    public static Task<HttpResponseMessage> Provision(this HttpClient client, Guid instanceId, object? body = null, bool acceptsIncomplete = true) =>
        client.PutAsJsonAsync($"/v2/service_instances/{instanceId}?accepts_incomplete={acceptsIncomplete.ToString().ToLowerInvariant()}",
            body ?? ProvisionBody());

    public static Task<HttpResponseMessage> Deprovision(this HttpClient client, Guid instanceId) =>
        client.DeleteAsync($"/v2/service_instances/{instanceId}?accepts_incomplete=true&service_id={ServiceId}&plan_id={SmallPlanId}");

    public static Task<HttpResponseMessage> LastOperation(this HttpClient client, Guid instanceId) =>
        client.GetAsync($"/v2/service_instances/{instanceId}/last_operation");

    public static async Task<JsonObject> Json(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    /// <summary>
    /// Polls last_operation like a platform until the state is terminal (or the instance is gone) and returns that answer;
    /// fails with the last answer if the operation is still in progress after <paramref name="timeout"/>.
    /// </summary>
    public static Task<(HttpStatusCode Status, string? State, string? Description)> PollUntilDone(
        this HttpClient client, Guid instanceId, TimeSpan? timeout = null, Func<string>? details = null) =>
        Eventually.Until(async () =>
            {
                var response = await client.LastOperation(instanceId);
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync());
                return (response.StatusCode, State: (string?)body?["state"], Description: (string?)body?["description"]);
            },
            answer => answer.StatusCode != HttpStatusCode.OK || answer.State != "in progress",
            $"instance {instanceId}'s last operation ends", (timeout ?? TimeSpan.FromSeconds(120)).TotalSeconds, details);

    public static JsonSerializerOptions SnakeCase { get; } = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
