using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;

namespace EventSourced.Broker.Tests.Clusters;

/// <summary>What a Cloud Foundry user's `cf create-service … cluster-small|database` becomes on the wire.</summary>
internal static class ClusterOsb
{
    public const string ClusterSmallPlanId = "7a0c3e51-3b1d-4e0e-9f6a-1c2d3e4f5a61";
    public const string ClusterLargePlanId = "7a0c3e51-3b1d-4e0e-9f6a-1c2d3e4f5a62";
    public const string DatabasePlanId = "7a0c3e51-3b1d-4e0e-9f6a-1c2d3e4f5a63";
    public const string Org = "org-guid";
    public const string Space = "space-guid";

    public static Task<HttpResponseMessage> ProvisionCluster(
        this HttpClient client, Guid clusterId, string name, string space = Space, object? parameters = null, string planId = ClusterSmallPlanId) =>
        client.PutAsJsonAsync($"/v2/service_instances/{clusterId}?accepts_incomplete=true", Body(planId, name, Org, space, parameters));

    /// <param name="cluster">The <c>parameters</c>: <c>{"cluster": …}</c> and, when needed, <c>cluster-org</c> / <c>cluster-space</c>.</param>
    public static Task<HttpResponseMessage> ProvisionDatabase(
        this HttpClient client, Guid databaseId, object cluster, string name = "db", string org = Org, string space = Space, string? userId = "user-guid")
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/v2/service_instances/{databaseId}?accepts_incomplete=true")
            { Content = JsonContent.Create(Body(DatabasePlanId, name, org, space, cluster)) };
        if (userId is not null)
            request.Headers.Add("X-Broker-API-Originating-Identity",
                "cloudfoundry " + Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { user_id = userId }))));
        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> DeleteInstance(this HttpClient client, Guid instanceId, string planId) =>
        client.DeleteAsync($"/v2/service_instances/{instanceId}?accepts_incomplete=true&service_id={Hosting.Osb.ServiceId}&plan_id={planId}");

    public static Task<HttpResponseMessage> UpdateCluster(this HttpClient client, Guid clusterId, string? planId, object? parameters) =>
        client.PatchAsJsonAsync($"/v2/service_instances/{clusterId}?accepts_incomplete=true",
            new { service_id = Hosting.Osb.ServiceId, plan_id = planId, parameters });

    /// <summary>A synchronous bind (the answer carries the credentials).</summary>
    public static async Task<JsonObject> BindDatabase(this HttpClient client, Guid databaseId, Guid bindingId)
    {
        var response = await client.PutAsJsonAsync($"/v2/service_instances/{databaseId}/service_bindings/{bindingId}",
            new { service_id = Hosting.Osb.ServiceId, plan_id = DatabasePlanId, app_guid = "app-guid", bind_resource = new { app_guid = "app-guid" } });
        return (await response.AssertStatus(HttpStatusCode.Created))["credentials"]!.AsObject();
    }

    public static async Task Unbind(this HttpClient client, Guid databaseId, Guid bindingId) =>
        await (await client.DeleteAsync(
                $"/v2/service_instances/{databaseId}/service_bindings/{bindingId}?service_id={Hosting.Osb.ServiceId}&plan_id={DatabasePlanId}"))
            .AssertStatus(HttpStatusCode.OK);

    public static async Task Succeeds(this HttpClient client, Guid instanceId, Func<string> output)
    {
        var done = await client.PollUntilDone(instanceId, details: output);
        Assert.True(done.State == "succeeded", $"{instanceId}: {done}\n{output()}");
    }

    public static async Task IsGone(this HttpClient client, Guid instanceId, Func<string> output)
    {
        var done = await client.PollUntilDone(instanceId, details: output);
        Assert.True(done.Status == HttpStatusCode.Gone, $"{instanceId}: {done}\n{output()}");
    }

    public static string DeleteRefusal(params Guid[] children) =>
        "can not delete cluster service instance with child service instances ("
        + string.Join(", ", children.Select(c => c.ToString()).Order(StringComparer.Ordinal).Select(id => $"guid={id}"))
        + "). Use dashboard to list all child service instance details.";

    private static object Body(string planId, string name, string org, string space, object? parameters) => new
    {
        service_id = Hosting.Osb.ServiceId,
        plan_id = planId,
        organization_guid = org,
        space_guid = space,
        parameters,
        context = new { platform = "cloudfoundry", instance_name = name, organization_guid = org, space_guid = space,
            organization_name = $"{org}-name", space_name = $"{space}-name" },
    };
}
