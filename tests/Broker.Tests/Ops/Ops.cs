using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Ops;

/// <summary>What an operator's tool does against the ops API: the calls of the tests, spelled once.</summary>
public static class Ops
{
    public static Task<HttpResponseMessage> ProvisionJob(this HttpClient ops, object body) => ops.PostAsJsonAsync("/api/v1/ops/provision", body);

    public static Task<HttpResponseMessage> ProvisionJob(this HttpClient ops, Guid instanceId, string ownerId = "owner-1") =>
        ops.ProvisionJob(new { ownerId, instanceId });

    public static Task<HttpResponseMessage> DeprovisionJob(this HttpClient ops, Guid instanceId) =>
        ops.PostAsJsonAsync("/api/v1/ops/deprovision", new { instanceId });

    /// <summary>The job id of a 202, failing with the answer otherwise.</summary>
    public static async Task<Guid> JobId(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode} {body}");
        return Guid.Parse((string)JsonNode.Parse(body)!["jobId"]!);
    }

    public static async Task<JsonObject> Job(this HttpClient ops, Guid jobId)
    {
        var response = await ops.GetAsync($"/api/v1/ops/jobs/{jobId}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>Polls the job until it is finished and returns it.</summary>
    public static Task<JsonObject> JobWhenFinished(this HttpClient ops, Guid jobId, double seconds = 120, Func<string>? details = null) =>
        Eventually.Until(() => ops.Job(jobId), job => (bool)job["finished"]!, $"job {jobId} finishes", seconds, details);
}
