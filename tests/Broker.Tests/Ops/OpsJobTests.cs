using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.IntegrationEvents;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Ops;

/// <summary>
/// Provisioning jobs through the ops API: the same instances, streams and operations as OSB's, owned by the given owner,
/// recorded with the ops client as who asked; bad requests refused with nothing recorded.
/// </summary>
public sealed class OpsJobTests(SimulatedBrokerFixture fixture) : IClassFixture<SimulatedBrokerFixture>
{
    private HttpClient OpsClient => fixture.Broker.OpsClient;

    [Fact]
    public async Task ProvisionJob_Succeeds_WithItsSteps_AndIsTheInstanceOsbSees()
    {
        var instanceId = Guid.NewGuid();
        var owner = $"owner-{Guid.NewGuid():N}";

        var accepted = await OpsClient.ProvisionJob(instanceId, owner);
        var jobId = await accepted.JobId();
        var job = await OpsClient.JobWhenFinished(jobId, details: () => fixture.Broker.Output);

        Assert.Equal("succeeded", (string?)job["state"]);
        Assert.Equal("provision", (string?)job["kind"]);
        Assert.Equal(instanceId.ToString(), (string?)job["instanceId"]);
        Assert.Equal(owner, (string?)job["ownerId"]);
        Assert.Equal(Hosting.Osb.SmallPlanId, (string?)job["planId"]);
        Assert.Equal("ops", (string?)job["requestedBy"]!["platform"]);
        Assert.Equal(fixture.Environment.OpsUsername, (string?)job["requestedBy"]!["user"]);
        var steps = job["steps"]!.AsArray().Select(s => ((string)s!["name"]!, DateTimeOffset.Parse((string)s["at"]!))).ToList();
        Assert.Equal([nameof(ServiceInstanceProvisioningRequested), nameof(StorageProvisioned), nameof(ServerProvisioned),
            nameof(DatabaseProvisioned), nameof(ServiceInstanceProvisioned)], steps.Select(s => s.Item1));
        Assert.Equal(steps.Select(s => s.Item2).Order(), steps.Select(s => s.Item2));

        var osb = await fixture.Broker.Client.PollUntilDone(instanceId);
        Assert.Equal("succeeded", osb.State);
        var fetched = await fixture.Broker.Client.GetAsync($"/v2/service_instances/{instanceId}");
        Assert.Equal(Hosting.Osb.SmallPlanId, (string?)(await fetched.Json())["plan_id"]);
        var requested = (await fixture.Environment.Stream(ServiceInstance.StreamId(instanceId))).First();
        Assert.Equal(jobId, EventMetadata.Of(requested).CorrelationId);
        Assert.StartsWith("ops ", EventMetadata.Of(requested).OriginatingIdentity);

        var listed = JsonNode.Parse(await OpsClient.GetStringAsync($"/api/v1/ops/instances?ownerId={owner}"))!.AsArray();
        var instance = Assert.Single(listed)!;
        Assert.Equal(instanceId.ToString(), (string?)instance["instanceId"]);
        Assert.Equal("Provisioned", (string?)instance["status"]);
        Assert.Equal(jobId.ToString(), (string?)instance["lastJobId"]);
    }

    [Fact]
    public async Task DeprovisionJob_Succeeds_AndOsbSeesTheInstanceGone()
    {
        var instanceId = Guid.NewGuid();
        var owner = $"owner-{Guid.NewGuid():N}";
        await OpsClient.JobWhenFinished(await (await OpsClient.ProvisionJob(instanceId, owner)).JobId());

        var jobId = await (await OpsClient.DeprovisionJob(instanceId)).JobId();
        var job = await OpsClient.JobWhenFinished(jobId, details: () => fixture.Broker.Output);

        Assert.Equal("succeeded", (string?)job["state"]);
        Assert.Equal("deprovision", (string?)job["kind"]);
        Assert.Equal(nameof(ServiceInstanceDeprovisioned), (string?)job["steps"]!.AsArray()[^1]!["name"]);
        Assert.Equal(HttpStatusCode.Gone, (await fixture.Broker.Client.LastOperation(instanceId)).StatusCode);
        Assert.Empty(JsonNode.Parse(await OpsClient.GetStringAsync($"/api/v1/ops/instances?ownerId={owner}"))!.AsArray());
        var again = await fixture.Environment.Refused(OpsClient, c => c.DeprovisionJob(instanceId));
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task TwoProvisionsOfOneInstance_WithDifferentPlans_OneWins_TheOtherGets409_AndNothingOfItIsRecorded()
    {
        var instanceId = Guid.NewGuid();

        var answers = await Task.WhenAll(
            OpsClient.ProvisionJob(new { ownerId = "owner-race", instanceId, planId = Hosting.Osb.SmallPlanId }),
            OpsClient.ProvisionJob(new { ownerId = "owner-race", instanceId, planId = Hosting.Osb.LargePlanId }));

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Conflict], answers.Select(a => a.StatusCode).Order());
        var winner = answers[0].StatusCode == HttpStatusCode.Accepted ? Hosting.Osb.SmallPlanId : Hosting.Osb.LargePlanId;
        var job = await OpsClient.JobWhenFinished(await answers.Single(a => a.StatusCode == HttpStatusCode.Accepted).JobId());
        Assert.Equal("succeeded", (string?)job["state"]);
        Assert.Equal(winner, (string?)job["planId"]);
        var loser = answers.Single(a => a.StatusCode == HttpStatusCode.Conflict);
        Assert.Equal("Conflict", (string?)(await loser.Json())["error"]);
        var requests = (await fixture.Environment.InstanceEvents(instanceId)).OfType<ServiceInstanceProvisioningRequested>().ToList();
        Assert.Equal(winner, Assert.Single(requests).PlanId);
    }

    [Theory]
    [InlineData("""{"instanceId":"{id}"}""", "ownerId is required")]
    [InlineData("""{"ownerId":"","instanceId":"{id}"}""", "ownerId is required")]
    [InlineData("""{"ownerId":"has spaces","instanceId":"{id}"}""", "ownerId must be")]
    [InlineData("""{"ownerId":"o\u0000","instanceId":"{id}"}""", "U+0000")]
    [InlineData("""{"ownerId":"o","instanceId":"not-a-guid"}""", "instanceId must be a GUID")]
    [InlineData("""{"ownerId":"o"}""", "instanceId must be a GUID")]
    [InlineData("""{"ownerId":"o","instanceId":"{id}","planId":"no-such-plan"}""", "Unknown planId")]
    [InlineData("""{"ownerId":"o","instanceId":"{id}","serviceId":"no-such-service"}""", "Unknown serviceId")]
    [InlineData("""{"ownerId":"o","instanceId":"{id}","clusterId":"x"}""", "clusterId must be a GUID")]
    [InlineData("""{"ownerId":"o","instanceId":"{id}","clusterId":"{id}","planId":"9d1d7c6e-2b7a-4f57-8f2f-5c1d0a5e3b11"}""", "clusterId puts a database in a cluster")]
    [InlineData("""{"ownerId":"o","instanceId":"{id}","planId":"7a0c3e51-3b1d-4e0e-9f6a-1c2d3e4f5a63"}""", "name the cluster with clusterId")]
    [InlineData("""{"ownerId":"o","instanceId":"{id}","clusterId":"{id}"}""", "does not exist")]
    [InlineData("""{"ownerId":"o","instanceId":"{id}","guestLocation":"rave"}""", "guestLocation 'rave'")]
    [InlineData("""{"ownerId":"o","instanceId":"{id}","parameters":[1]}""", "parameters must be a JSON object")]
    [InlineData("""{"ownerId":"o","instanceId":"{id}","parameters":{"no_such_setting":1}}""", "parameters")]
    [InlineData("""{"ownerId":"o","ownerId":"p","instanceId":"{id}"}""", "not valid")]
    [InlineData("""{not json""", "not valid")]
    [InlineData("""[]""", "not valid")]
    public async Task ProvisionJob_HostileInput_Returns400_AndRecordsNothing(string body, string error)
    {
        var json = body.Replace("{id}", Guid.NewGuid().ToString());

        var response = await fixture.Environment.Refused(OpsClient, c => c.PostAsync("/api/v1/ops/provision", new StringContent(json, Encoding.UTF8, "application/json")));

        var answer = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains(error, (string?)answer["description"]);
    }

    [Theory]
    [InlineData("POST", "/api/v1/ops/deprovision", """{"instanceId":"nope"}""", HttpStatusCode.BadRequest)]
    [InlineData("POST", "/api/v1/ops/deprovision", """{"instanceId":"{id}","clusterId":"nope"}""", HttpStatusCode.BadRequest)]
    [InlineData("POST", "/api/v1/ops/deprovision", """{"instanceId":"{id}"}""", HttpStatusCode.NotFound)]
    [InlineData("GET", "/api/v1/ops/jobs/nope", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/v1/ops/jobs/{id}", null, HttpStatusCode.NotFound)]
    [InlineData("GET", "/api/v1/ops/instances?limit=0", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/v1/ops/instances?limit=x", null, HttpStatusCode.BadRequest)]
    public async Task OtherRoutes_HostileOrUnknownInput_AreRefused_AndRecordNothing(string method, string path, string? body, HttpStatusCode status)
    {
        var id = Guid.NewGuid().ToString();
        var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", id));
        if (body is not null) request.Content = new StringContent(body.Replace("{id}", id), Encoding.UTF8, "application/json");

        var response = await fixture.Environment.Refused(OpsClient, c => c.SendAsync(request));

        Assert.Equal(status, response.StatusCode);
        Assert.False(string.IsNullOrEmpty((string?)(await response.Json())["description"]));
    }

    [Fact]
    public async Task ProvisionJob_AgainAfterItSucceeded_Returns409()
    {
        var instanceId = Guid.NewGuid();
        await OpsClient.JobWhenFinished(await (await OpsClient.ProvisionJob(instanceId)).JobId());

        var again = await fixture.Environment.Refused(OpsClient, c => c.ProvisionJob(instanceId));

        await again.AssertOsbError(HttpStatusCode.Conflict, "Conflict");
    }

    [Fact]
    public async Task Provisioners_AreTheCatalogsServicesWithTheirPlans()
    {
        var provisioners = JsonNode.Parse(await OpsClient.GetStringAsync("/api/v1/ops/provisioners"))!.AsArray();

        var postgres = Assert.Single(provisioners, p => (string?)p!["serviceId"] == Hosting.Osb.ServiceId)!;
        Assert.Equal("postgresql-on-demand", (string?)postgres["name"]);
        Assert.Contains(postgres["offerings"]!.AsArray(), o => (string?)o!["planId"] == Hosting.Osb.SmallPlanId && (string?)o["shape"] == "Dedicated");
    }

    [Fact]
    public async Task Status_CountsTheInstancesByStatus()
    {
        await OpsClient.JobWhenFinished(await (await OpsClient.ProvisionJob(Guid.NewGuid())).JobId());

        var status = JsonNode.Parse(await OpsClient.GetStringAsync("/api/v1/ops/status"))!;

        Assert.Equal("simulated", (string?)status["guestLocation"]);
        Assert.True((long)status["instancesByStatus"]!["Provisioned"]! >= 1, status.ToJsonString());
    }

    [Fact]
    public async Task ProvisionJob_WithClusterId_PutsADatabaseInTheOwnersCluster_DeprovisionChecksTheCluster()
    {
        var (clusterId, databaseId) = (Guid.NewGuid(), Guid.NewGuid());
        var owner = $"owner-{Guid.NewGuid():N}";
        var cluster = await OpsClient.JobWhenFinished(await (await OpsClient.ProvisionJob(new { ownerId = owner, instanceId = clusterId, planId = ClusterPlanId })).JobId());
        Assert.Equal("succeeded", (string?)cluster["state"]);

        var database = await OpsClient.JobWhenFinished(await (await OpsClient.ProvisionJob(new { ownerId = owner, instanceId = databaseId, clusterId })).JobId());

        Assert.True((string?)database["state"] == "succeeded", database.ToJsonString());
        Assert.Equal(DatabasePlanId, (string?)database["planId"]);
        Assert.Equal(clusterId, ServiceInstance.Fold(await fixture.Environment.InstanceEvents(databaseId)).ClusterId);
        var elsewhere = await fixture.Environment.Refused(OpsClient, c => c.PostAsJsonAsync("/api/v1/ops/deprovision", new { instanceId = databaseId, clusterId = Guid.NewGuid() }));
        Assert.Contains($"is not in cluster", (string?)(await elsewhere.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest"))["description"]);
        var deprovisioned = await OpsClient.JobWhenFinished(await (await OpsClient.PostAsJsonAsync("/api/v1/ops/deprovision", new { instanceId = databaseId, clusterId })).JobId());
        Assert.Equal("succeeded", (string?)deprovisioned["state"]);
    }

    private const string ClusterPlanId = "7a0c3e51-3b1d-4e0e-9f6a-1c2d3e4f5a61";
    private const string DatabasePlanId = "7a0c3e51-3b1d-4e0e-9f6a-1c2d3e4f5a63";

    [Fact]
    public async Task JobsAndOsbOperations_PublishDfeEvents_WithTheRequestingServiceAndTheOriginalRequest()
    {
        await using var subscriber = await DfeSubscriber.Connect(fixture.Environment.VirtualHost.Name);
        var (opsInstance, osbInstance) = (Guid.NewGuid(), Guid.NewGuid());
        var owner = $"owner-{Guid.NewGuid():N}";

        var provisioning = await (await OpsClient.ProvisionJob(new { ownerId = owner, instanceId = opsInstance, parameters = new { max_connections = 42 } })).JobId();
        await OpsClient.JobWhenFinished(provisioning);
        var deprovisioning = await (await OpsClient.DeprovisionJob(opsInstance)).JobId();
        await OpsClient.JobWhenFinished(deprovisioning);
        var osb = new HttpRequestMessage(HttpMethod.Put, $"/v2/service_instances/{osbInstance}?accepts_incomplete=true")
        {
            Content = JsonContent.Create(Hosting.Osb.ProvisionBody()),
        };
        osb.Headers.Add("X-Broker-API-Originating-Identity", "cloudfoundry " + Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"user_id":"cf-user-7"}""")));
        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Broker.Client.SendAsync(osb)).StatusCode);

        var seen = await Eventually.Until(() => Task.FromResult(subscriber.Received.Select(m => JsonNode.Parse(m.Body)!.AsObject())
                .Where(b => (string?)b["event"] is "dfe.provisioned" or "dfe.deprovisioned").ToList()),
            bodies => bodies.Count(b => (string?)b["instanceId"] == opsInstance.ToString()) == 2 && bodies.Any(b => (string?)b["instanceId"] == osbInstance.ToString()),
            "dfe.provisioned and dfe.deprovisioned of the ops instance, dfe.provisioned of the OSB one", seconds: 60);

        var provisioned = seen.Single(b => (string?)b["instanceId"] == opsInstance.ToString() && (string?)b["event"] == "dfe.provisioned");
        Assert.Equal(provisioning.ToString(), (string?)provisioned["operationId"]);
        Assert.Equal("ops", (string?)provisioned["requestingService"]!["platform"]);
        Assert.Equal(fixture.Environment.OpsUsername, (string?)provisioned["requestingService"]!["user"]);
        Assert.Equal("provision", (string?)provisioned["request"]!["kind"]);
        Assert.Equal(owner, (string?)provisioned["request"]!["organizationGuid"]);
        Assert.Equal(42, (int)provisioned["request"]!["parameters"]!["max_connections"]!);
        Assert.Equal(owner, (string?)provisioned["request"]!["context"]!["owner_id"]);
        var deprovisioned = seen.Single(b => (string?)b["instanceId"] == opsInstance.ToString() && (string?)b["event"] == "dfe.deprovisioned");
        Assert.Equal(deprovisioning.ToString(), (string?)deprovisioned["operationId"]);
        Assert.Equal("deprovision", (string?)deprovisioned["request"]!["kind"]);
        Assert.Equal("ops", (string?)deprovisioned["requestingService"]!["platform"]);
        var platform = seen.Single(b => (string?)b["instanceId"] == osbInstance.ToString());
        Assert.Equal("cloudfoundry", (string?)platform["requestingService"]!["platform"]);
        Assert.Equal("cf-user-7", (string?)platform["requestingService"]!["user"]);
        Assert.Equal(Hosting.Osb.SmallPlanId, (string?)platform["request"]!["planId"]);
        Assert.Equal("org-guid", (string?)platform["request"]!["organizationGuid"]);
    }
}
