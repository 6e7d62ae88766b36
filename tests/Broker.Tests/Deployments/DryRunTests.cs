using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Clusters;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;

namespace EventSourced.Broker.Tests.Deployments;

/// <summary>One simulated broker whose host is "dry-host"; the tests upload cloud configs and plan updates on it.</summary>
public sealed class DryRunFixture : BrokerFixture
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Provisioners__Backend"] = "simulated", ["Provisioners__Host__Name"] = "dry-host",
    };
}

/// <summary>
/// The dry run (<c>POST /api/v1/deployments/{id}/plan</c>, and OSB's PATCH with <c>"dry_run": true</c>): what an update
/// would do to the instance's deployment — reload, restart or recreate and why, the strategy, the peak VMs, an estimate —
/// with nothing changed. The tests run in order: the first has no cloud config yet.
/// </summary>
[TestCaseOrderer("EventSourced.TestSupport.ByName", "EventSourced.TestSupport")]
public sealed class DryRunTests(DryRunFixture fixture) : IClassFixture<DryRunFixture>
{
    private HttpClient Platform => fixture.Broker.Client;
    private HttpClient Ops => fixture.Broker.OpsClient;

    private static string CloudConfig => """
        azs:
        - {name: z1, hosts: [dry-host]}
        vm_types:
        - {name: dedicated-small, cpu: 1, ram: 512}
        - {name: dedicated-large, cpu: 2, ram: 2048}
        - {name: cluster-small, cpu: 1, ram: 512}
        disk_types: []
        networks:
        - name: loopback
          subnets:
          - {azs: [z1], range: 127.0.0.1:20000-29999}

        """;

    private async Task<Guid> Provisioned(string planId = Hosting.Osb.SmallPlanId)
    {
        var id = Guid.NewGuid();
        await (await Platform.PutAsJsonAsync($"/v2/service_instances/{id}?accepts_incomplete=true", new
        {
            service_id = Hosting.Osb.ServiceId, plan_id = planId, organization_guid = "org", space_guid = "space",
        })).AcceptedOperation();
        Assert.Equal("succeeded", (await Platform.PollUntilDone(id)).State);
        return id;
    }

    private Task<HttpResponseMessage> Plan(Guid id, object body) => Ops.PostAsJsonAsync($"/api/v1/deployments/{id}/plan", body);

    private static async Task<JsonObject> Body(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static JsonObject OnlyAction(JsonObject plan) => plan["groups"]!.AsArray().Single()!["actions"]!.AsArray().Single()!.AsObject();

    [Fact]
    public async Task T1_WithoutACloudConfig_TheInstanceIsPlannedWhereItRuns_AsTheDeployWillDo()
    {
        var id = await Provisioned();

        var same = OnlyAction(await Body(await fixture.Environment.Refused(Ops, _ => Plan(id, new { })), HttpStatusCode.OK));
        var restart = OnlyAction(await Body(await fixture.Environment.Refused(Ops, _ => Plan(id, new { parameters = new { max_connections = 90 } })), HttpStatusCode.OK));

        Assert.Equal("keep", (string?)same["action"]);
        Assert.Equal("restart", (string?)restart["action"]);
    }

    [Fact]
    public async Task T2_APlanChange_IsARecreate_DeleteCreate_WithItsReason_AndNothingChanges()
    {
        Assert.Equal(HttpStatusCode.OK, (await Ops.PutAsync("/api/v1/cloud-config", new StringContent(CloudConfig))).StatusCode);
        var id = await Provisioned();

        var plan = await Body(await fixture.Environment.Refused(Ops, _ => Plan(id, new { planId = Hosting.Osb.LargePlanId })), HttpStatusCode.OK);

        var action = OnlyAction(plan);
        Assert.Equal(("postgres/0", "recreate", true), ((string?)action["instance"], (string?)action["action"], (bool)action["canary"]!));
        Assert.Contains("vm_type dedicated-small → dedicated-large", action["reasons"]!.AsArray().Select(r => (string?)r));
        Assert.Equal("delete-create", (string?)plan["groups"]![0]!["strategy"]);
        Assert.Equal(1, (int)plan["peakVms"]!);
        Assert.True((double)plan["estimatedSeconds"]! > 0);
        Assert.Contains("dry run, nothing changed", (string?)plan["text"]);
        Assert.Equal(Hosting.Osb.SmallPlanId, ServiceInstance.Fold(await fixture.Environment.InstanceEvents(id)).PlanId);
    }

    [Fact]
    public async Task T3_ASettingChange_IsARestart_OrAReload_AsPostgreSqlTakesIt()
    {
        var dedicated = await Provisioned();
        var cluster = await Provisioned(ClusterOsb.ClusterSmallPlanId);

        var restart = OnlyAction(await Body(await Plan(dedicated, new { parameters = new { max_connections = 200 } }), HttpStatusCode.OK));
        var reload = OnlyAction(await Body(await Plan(cluster, new { parameters = new { work_mem = "8MB" } }), HttpStatusCode.OK));
        var same = OnlyAction(await Body(await Plan(dedicated, new { }), HttpStatusCode.OK));

        Assert.Equal("restart", (string?)restart["action"]);
        Assert.Contains("property postgres.max_connections", restart["reasons"]!.AsArray().Select(r => (string?)r));
        Assert.Equal("reload", (string?)reload["action"]);
        Assert.Equal("keep", (string?)same["action"]);
    }

    [Fact]
    public async Task T4_OsbPatchWithDryRun_Answers422WithThePlan_AndRecordsNothing()
    {
        var id = await Provisioned();

        var response = await fixture.Environment.Refused(Platform, client => client.PatchAsJsonAsync(
            $"/v2/service_instances/{id}?accepts_incomplete=true",
            new { service_id = Hosting.Osb.ServiceId, plan_id = Hosting.Osb.LargePlanId, parameters = new { dry_run = true, max_connections = 90 } }));

        var body = await response.AssertOsbError(HttpStatusCode.UnprocessableEntity, error: null);
        var description = (string)body["description"]!;
        Assert.Contains("dry run, nothing changed", description);
        Assert.Contains("postgres/0 recreate", description);
        Assert.Contains("vm_type dedicated-small → dedicated-large", description);
        var setting = await fixture.Environment.Refused(Platform, client => client.PatchAsJsonAsync(
            $"/v2/service_instances/{id}?accepts_incomplete=true",
            new { service_id = Hosting.Osb.ServiceId, parameters = new { dry_run = true, max_connections = 90 } }));
        Assert.Contains("postgres/0 restart (property postgres.max_connections)",
            (string)(await setting.AssertOsbError(HttpStatusCode.UnprocessableEntity, error: null))["description"]!);
        Assert.Equal("succeeded", (await Platform.PollUntilDone(id)).State);
    }

    [Fact]
    public async Task T5_HostileRequests_AreRefused_NothingRecorded()
    {
        var id = await Provisioned();
        var patch = (object parameters) => Platform.PatchAsJsonAsync($"/v2/service_instances/{id}?accepts_incomplete=true",
            new { service_id = Hosting.Osb.ServiceId, parameters });

        await (await fixture.Environment.Refused(Platform, _ => patch(new { dry_run = "yes" }))).AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        await (await fixture.Environment.Refused(Platform, _ => patch(new { dry_run = true, max_connections = 5000 })))
            .AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        await Body(await fixture.Environment.Refused(Ops, _ => Plan(id, new { parameters = new { max_connections = 5000 } })), HttpStatusCode.BadRequest);
        await Body(await fixture.Environment.Refused(Ops, _ => Plan(id, new { planId = "no-such-plan" })), HttpStatusCode.BadRequest);
        await Body(await fixture.Environment.Refused(Ops, _ => Plan(id, new { parameters = "max_connections=1" })), HttpStatusCode.BadRequest);
        await Body(await fixture.Environment.Refused(Ops, _ => Plan(Guid.NewGuid(), new { })), HttpStatusCode.NotFound);
        var notAGuid = await fixture.Environment.Refused(Ops, client => client.PostAsJsonAsync("/api/v1/deployments/x'--/plan", new { }));
        Assert.Equal(HttpStatusCode.BadRequest, notAGuid.StatusCode);
        var platform = await fixture.Environment.Refused(Platform, client => client.PostAsJsonAsync($"/api/v1/deployments/{id}/plan", new { }));
        Assert.Equal(HttpStatusCode.Unauthorized, platform.StatusCode);
    }
}
