using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Failures;

/// <summary>
/// The broker's PostgreSQL goes away (its own private server, stopped for real) and comes back: platforms get OSB 503s
/// with a Retry-After they can act on, never a 500 or a hang; /health/ready says what is wrong while /health/live stays green (no restart for an outage); the same broker process serves
/// again once the server is back.
/// </summary>
public sealed class PostgresOutageTests
{
    [Fact]
    public async Task PostgresStopped_EveryStoreRouteAnswers503WithRetryAfter_HealthIsRed_AndTheSameBrokerRecovers()
    {
        await using var postgres = await PrivatePostgres.Start();
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = postgres.ConnectionString,
            ["Provisioners__Backend"] = "simulated",
        });
        await using var broker = await BrokerProcess.Start(environment);
        var existing = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.Accepted, (await broker.Client.Provision(existing)).StatusCode);
        Assert.Equal("succeeded", (await broker.Client.PollUntilDone(existing)).State);

        var healthy = await (await broker.Client.GetAsync("/health/ready")).Json();
        Assert.True((string?)healthy["checks"]!["postgresql"]!["status"] == "Healthy" && (string?)healthy["checks"]!["rabbitmq"]!["status"] == "Healthy",
            healthy.ToJsonString());

        await postgres.Stop();

        // A client that gives up after 15 s: a route that hangs on the missing server fails the test instead of passing late.
        using var impatient = new HttpClient { BaseAddress = broker.BaseAddress, Timeout = TimeSpan.FromSeconds(15) };
        impatient.DefaultRequestHeaders.Authorization = broker.Client.DefaultRequestHeaders.Authorization;
        impatient.DefaultRequestHeaders.Add("X-Broker-API-Version", "2.17");
        var binding = $"/v2/service_instances/{existing}/service_bindings/{Guid.NewGuid()}";
        var requests = new (HttpMethod Method, string Path, object? Body)[]
        {
            (HttpMethod.Put, $"/v2/service_instances/{Guid.NewGuid()}?accepts_incomplete=true", Hosting.Osb.ProvisionBody()),
            (HttpMethod.Patch, $"/v2/service_instances/{existing}?accepts_incomplete=true", new { service_id = Hosting.Osb.ServiceId, plan_id = Hosting.Osb.LargePlanId }),
            (HttpMethod.Get, $"/v2/service_instances/{existing}", null),
            (HttpMethod.Get, $"/v2/service_instances/{existing}/last_operation", null),
            (HttpMethod.Delete, $"/v2/service_instances/{existing}?accepts_incomplete=true&service_id={Hosting.Osb.ServiceId}&plan_id={Hosting.Osb.SmallPlanId}", null),
            (HttpMethod.Put, $"{binding}?accepts_incomplete=true", new { service_id = Hosting.Osb.ServiceId, plan_id = Hosting.Osb.SmallPlanId }),
            (HttpMethod.Get, binding, null),
            (HttpMethod.Get, $"{binding}/last_operation", null),
            (HttpMethod.Delete, $"{binding}?accepts_incomplete=true&service_id={Hosting.Osb.ServiceId}&plan_id={Hosting.Osb.SmallPlanId}", null),
            (HttpMethod.Get, "/admin/instances", null),
        };
        foreach (var (method, path, body) in requests)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            using var response = await impatient.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{method} {path}: {(int)response.StatusCode} {text}\n{broker.Output}");
            var error = JsonNode.Parse(text)!.AsObject();
            Assert.Equal("ServiceUnavailable", (string?)error["error"]);
            Assert.False(string.IsNullOrWhiteSpace((string?)error["description"]), text);
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"{method} {path}: no Retry-After");
        }
        // The catalog is configuration: it needs no database and keeps answering.
        Assert.Equal(HttpStatusCode.OK, (await impatient.GetAsync("/v2/catalog")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await impatient.GetAsync("/health/live")).StatusCode);
        using (var health = await impatient.GetAsync("/health/ready"))
        {
            var text = await health.Content.ReadAsStringAsync();
            Assert.True(health.StatusCode == HttpStatusCode.ServiceUnavailable, $"/health/ready: {(int)health.StatusCode} {text}");
            var report = JsonNode.Parse(text)!.AsObject();
            Assert.Equal("Unhealthy", (string?)report["status"]);
            Assert.Equal("Unhealthy", (string?)report["checks"]!["postgresql"]!["status"]);
            Assert.False(string.IsNullOrWhiteSpace((string?)report["checks"]!["postgresql"]!["description"]), text);
        }

        await postgres.StartAgain();

        await Eventually.Until(async () => (await impatient.GetAsync("/health/ready")).StatusCode, status => status == HttpStatusCode.OK,
            "/health/ready green again after the server's restart", seconds: 60, details: () => broker.Output);
        var after = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.Accepted, (await broker.Client.Provision(after)).StatusCode);
        var done = await broker.Client.PollUntilDone(after, TimeSpan.FromSeconds(60));
        Assert.True(done.State == "succeeded", $"{done}\n{broker.Output}");
        Assert.Equal("succeeded", (await broker.Client.PollUntilDone(existing)).State);
    }
}
