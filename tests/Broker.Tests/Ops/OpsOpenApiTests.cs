using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Osb;

namespace EventSourced.Broker.Tests.Ops;

/// <summary>
/// The OpenAPI document served at <c>/api/v1/openapi.json</c> describes the ops API as it answers: every mapped route is
/// in it, and every answer of every route (successes, refusals, 401, 413) has its status listed and a body that validates
/// against the schema listed for it.
/// </summary>
public sealed class OpsOpenApiTests(SimulatedBrokerFixture fixture) : IClassFixture<SimulatedBrokerFixture>
{
    private readonly List<(string Method, string Template, int Status, string Body)> _answers = [];

    [Fact]
    public async Task EveryAnswerOfEveryRoute_ConformsToTheServedDocument()
    {
        var served = await fixture.Broker.OpsClient.GetAsync("/api/v1/openapi.json");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        var document = new OpenApiDocument(JsonNode.Parse(await served.Content.ReadAsStringAsync())!.AsObject());
        var mapped = MappedEndpoint.Of(fixture.Environment).Where(e => e.Template.StartsWith("/api/v1/") && e.Template != "/api/v1/openapi.json")
            .Select(e => e.ToString()).Order().ToList();
        Assert.Equal(mapped, document.Operations.Order().ToList());

        var instanceId = Guid.NewGuid();
        const string provision = "/api/v1/ops/provision", deprovision = "/api/v1/ops/deprovision", job = "/api/v1/ops/jobs/{jobId}";
        var accepted = await Call("POST", provision, provision, $$"""{"ownerId":"owner-openapi","instanceId":"{{instanceId}}"}""");
        var jobId = (string)JsonNode.Parse(accepted)!["jobId"]!;
        await fixture.Broker.OpsClient.JobWhenFinished(Guid.Parse(jobId));
        await Call("POST", provision, provision, $$"""{"ownerId":"owner-openapi","instanceId":"{{instanceId}}"}""");
        await Call("POST", provision, provision, """{"ownerId":"owner openapi"}""");
        await Call("POST", provision, provision, "{}", fixture.Broker.Client);
        // The body over the limit waits for the broker's go-ahead (Expect: 100-continue): its 413 comes first, and no body
        // is written into a connection the broker closes after answering.
        using (var waitsToSend = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(60) })
               {
                   BaseAddress = fixture.Broker.BaseAddress, Timeout = TimeSpan.FromSeconds(60),
                   DefaultRequestHeaders = { Authorization = fixture.Broker.OpsClient.DefaultRequestHeaders.Authorization, ExpectContinue = true },
               })
            await Call("POST", provision, provision, $$"""{"ownerId":"{{new string('x', 2 * 1024 * 1024)}}"}""", waitsToSend);
        await Call("GET", job, $"/api/v1/ops/jobs/{jobId}", null);
        await Call("GET", job, $"/api/v1/ops/jobs/{Guid.NewGuid()}", null);
        await Call("GET", job, "/api/v1/ops/jobs/x", null);
        await Call("GET", job, $"/api/v1/ops/jobs/{jobId}", null, fixture.Broker.Client);
        await Call("GET", "/api/v1/ops/instances", "/api/v1/ops/instances?ownerId=owner-openapi", null);
        await Call("GET", "/api/v1/ops/instances", "/api/v1/ops/instances?limit=-1", null);
        await Call("GET", "/api/v1/ops/instances", "/api/v1/ops/instances", null, fixture.Broker.Client);
        await Call("GET", "/api/v1/ops/provisioners", "/api/v1/ops/provisioners", null);
        await Call("GET", "/api/v1/ops/provisioners", "/api/v1/ops/provisioners", null, fixture.Broker.Client);
        await Call("GET", "/api/v1/ops/status", "/api/v1/ops/status", null);
        await Call("GET", "/api/v1/ops/status", "/api/v1/ops/status", null, fixture.Broker.Client);
        const string cloudConfig = "/api/v1/cloud-config", plan = "/api/v1/deployments/{instanceId}/plan";
        await Call("GET", cloudConfig, cloudConfig, null);
        await Call("PUT", cloudConfig, cloudConfig, """
            azs: [{name: z1, hosts: [openapi-host]}]
            vm_types: [{name: dedicated-small, cpu: 1, ram: 512}]
            disk_types: []
            networks: [{name: loopback, subnets: [{azs: [z1], range: "127.0.0.1:20000-20999"}]}]
            """);
        await Call("PUT", cloudConfig, cloudConfig, "vm_types: 3\n");
        await Call("PUT", cloudConfig, cloudConfig, "azs: []\n", fixture.Broker.Client);
        await Call("GET", cloudConfig, cloudConfig, null);
        await Call("GET", cloudConfig, $"{cloudConfig}?version=x", null);
        await Call("GET", cloudConfig, cloudConfig, null, fixture.Broker.Client);
        await Call("POST", plan, $"/api/v1/deployments/{instanceId}/plan", "{}");
        await Call("POST", plan, $"/api/v1/deployments/{instanceId}/plan", """{"planId":"no-such-plan"}""");
        await Call("POST", plan, $"/api/v1/deployments/{Guid.NewGuid()}/plan", "{}");
        await Call("POST", plan, $"/api/v1/deployments/{instanceId}/plan", "{}", fixture.Broker.Client);
        const string upgradeAll = "/api/v1/ops/upgrade-all", runs = "/api/v1/ops/fleet-runs", run = "/api/v1/ops/fleet-runs/{runId}";
        // Every instance runs its plan's release: the run is recorded and finished at once (its 409 is documented, not provoked).
        var runId = (string)JsonNode.Parse(await Call("POST", upgradeAll, upgradeAll, "{}"))!["runId"]!;
        await Call("POST", upgradeAll, upgradeAll, """{"canaries":-1}""");
        await Call("POST", upgradeAll, upgradeAll, "{}", fixture.Broker.Client);
        // recreate-all answers the same documents as upgrade-all; its 202 would recreate this class's instances.
        const string recreateAll = "/api/v1/ops/recreate-all";
        await Call("POST", recreateAll, recreateAll, """{"maxInFlight":0}""");
        await Call("POST", recreateAll, recreateAll, "{}", fixture.Broker.Client);
        await Call("GET", runs, runs, null);
        await Call("GET", runs, runs, null, fixture.Broker.Client);
        await Call("GET", run, $"{runs}/{runId}", null);
        await Call("GET", run, $"{runs}/{Guid.NewGuid()}", null);
        await Call("GET", run, $"{runs}/x", null);
        await Call("GET", run, $"{runs}/{runId}", null, fixture.Broker.Client);
        // Snapshots: the simulated backend has no data to dump, so its export job fails (and no snapshot exists to fetch).
        const string export = "/api/v1/ops/export", import = "/api/v1/ops/import", snapshot = "/api/v1/ops/snapshots/{snapshotId}",
            archive = "/api/v1/ops/snapshots/{snapshotId}/archive";
        var exportJob = (string)JsonNode.Parse(await Call("POST", export, export, $$"""{"instanceId":"{{instanceId}}","daysToKeep":2}"""))!["jobId"]!;
        await fixture.Broker.OpsClient.JobWhenFinished(Guid.Parse(exportJob));
        await Call("POST", export, export, $$"""{"instanceId":"{{instanceId}}","destination":"../x"}""");
        await Call("POST", export, export, $$"""{"instanceId":"{{Guid.NewGuid()}}"}""");
        await Call("POST", export, export, "{}", fixture.Broker.Client);
        await Call("POST", import, import, $$"""{"ownerId":"o","instanceId":"{{Guid.NewGuid()}}","snapshotId":"{{Guid.NewGuid()}}"}""");
        await Call("POST", import, import, """{"ownerId":"o","snapshotId":"x"}""");
        await Call("POST", import, import, "{}", fixture.Broker.Client);
        await Call("GET", snapshot, $"/api/v1/ops/snapshots/{Guid.NewGuid()}", null);
        await Call("GET", snapshot, "/api/v1/ops/snapshots/x", null);
        await Call("GET", snapshot, $"/api/v1/ops/snapshots/{Guid.NewGuid()}", null, fixture.Broker.Client);
        await Call("GET", archive, $"/api/v1/ops/snapshots/{Guid.NewGuid()}/archive?expires=1&sig=x", null);
        // Backups: the simulated backend has no data to dump either, so the backup job fails (and no backup is kept to restore).
        const string backups = "/api/v1/ops/instances/{instanceId}/backups", restore = "/api/v1/ops/instances/{instanceId}/backups/{backupId}/restore";
        var backupJob = (string)JsonNode.Parse(await Call("POST", backups, $"/api/v1/ops/instances/{instanceId}/backups", null))!["jobId"]!;
        await fixture.Broker.OpsClient.JobWhenFinished(Guid.Parse(backupJob));
        await Call("POST", backups, $"/api/v1/ops/instances/{Guid.NewGuid()}/backups", null);
        await Call("POST", backups, "/api/v1/ops/instances/x/backups", null);
        await Call("POST", backups, $"/api/v1/ops/instances/{instanceId}/backups", null, fixture.Broker.Client);
        await Call("GET", backups, $"/api/v1/ops/instances/{instanceId}/backups", null);
        await Call("GET", backups, $"/api/v1/ops/instances/{Guid.NewGuid()}/backups", null);
        await Call("GET", backups, "/api/v1/ops/instances/x/backups", null);
        await Call("GET", backups, $"/api/v1/ops/instances/{instanceId}/backups", null, fixture.Broker.Client);
        await Call("POST", restore, $"/api/v1/ops/instances/{instanceId}/backups/{Guid.NewGuid()}/restore", null);
        await Call("POST", restore, $"/api/v1/ops/instances/{instanceId}/backups/..%2F..%2Fetc/restore", null);
        await Call("POST", restore, $"/api/v1/ops/instances/{instanceId}/backups/{Guid.NewGuid()}/restore", null, fixture.Broker.Client);
        await Call("POST", deprovision, deprovision, $$"""{"instanceId":"{{Guid.NewGuid()}}"}""");
        await Call("POST", deprovision, deprovision, """{"instanceId":"x"}""");
        await Call("POST", deprovision, deprovision, "{}", fixture.Broker.Client);
        await Call("POST", deprovision, deprovision, $$"""{"instanceId":"{{instanceId}}"}""");
        await Call("POST", deprovision, deprovision, $$"""{"instanceId":"{{instanceId}}","clusterId":"{{Guid.NewGuid()}}"}""");

        // The checker has teeth: an undocumented status, a missing required property, a wrong type are all problems.
        Assert.NotNull(document.Problem("GET", "/api/v1/ops/status", 418, "{}"));
        Assert.NotNull(document.Problem("GET", job, 200, "{}"));
        Assert.NotNull(document.Problem("POST", provision, 202, $$"""{"jobId":"{{jobId}}","instanceId":"{{instanceId}}","kind":7}"""));
        var problems = _answers.Select(a => document.Problem(a.Method, a.Template, a.Status, a.Body)).OfType<string>().ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Equal(mapped, _answers.Select(a => $"{a.Method} {a.Template}").Distinct().Order().ToList());
        Assert.Equal([202, 400, 401, 409, 413], Statuses(provision));
        // Its 409 (an update of the instance running) is documented, not provoked: simulated updates end at once.
        Assert.Equal([202, 400, 401, 404], Statuses(deprovision));
        Assert.Equal([200, 400, 401, 404], Statuses(job));
        Assert.Equal([200, 400, 401, 404], Statuses(cloudConfig));
        Assert.Equal([200, 400, 401, 404], Statuses(plan));
        Assert.Equal([202, 400, 401], Statuses(upgradeAll));
        Assert.Equal([400, 401], Statuses(recreateAll));
        Assert.Equal([200, 400, 401, 404], Statuses(run));
        Assert.Equal([202, 400, 401, 404], Statuses(export));
        Assert.Equal([400, 401, 404], Statuses(import));
        Assert.Equal([400, 401, 404], Statuses(snapshot));
        Assert.Equal([403], Statuses(archive));
        Assert.Equal([200, 202, 400, 401, 404], Statuses(backups));
        Assert.Equal([400, 401, 404], Statuses(restore));
    }

    private async Task<string> Call(string method, string template, string path, string? body, HttpClient? client = null)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        var response = await (client ?? fixture.Broker.OpsClient).SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        _answers.Add((method, template, (int)response.StatusCode, text));
        return text;
    }

    private List<int> Statuses(string template) => [.. _answers.Where(a => a.Template == template).Select(a => a.Status).Distinct().Order()];
}
