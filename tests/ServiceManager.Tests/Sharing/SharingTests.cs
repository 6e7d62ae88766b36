using System.Net;
using System.Text.Json.Nodes;
using EventSourced.ServiceManager.Tests.Support;

namespace EventSourced.ServiceManager.Tests.Sharing;

/// <summary>
/// Sharing across platforms: an instance made through platform A, shared by an operator, used from platform B through a
/// reference instance (the manager's <c>reference-instance</c> plan), whose bindings bind the shared instance.
/// </summary>
public sealed class SharingTests(TwoBrokers brokers) : IClassFixture<TwoBrokers>
{
    private HttpClient Admin => brokers.Manager.Admin;

    private string ReferencePlanId(JsonObject catalog) =>
        catalog["services"]!.AsArray().Single(s => s!["id"]!.GetValue<string>() == Catalogs.ServiceA)!["plans"]!.AsArray()
            .Single(p => p!["name"]!.GetValue<string>() == "reference-instance")!["id"]!.GetValue<string>();

    /// <summary>Platform A with a ready instance of <paramref name="plan"/>; platform B seeing broker A's large plan (so its offering).</summary>
    private async Task<(HttpClient A, HttpClient B, string InstanceId, string ReferencePlan)> SharedSetup(string plan = Catalogs.SmallA)
    {
        var a = await Admin.RegisterPlatform($"a-{Guid.NewGuid():N}");
        var b = await Admin.RegisterPlatform($"b-{Guid.NewGuid():N}", "cloudfoundry");
        await Admin.Show(a.Id, await Admin.PlanId(brokers.BrokerAId, plan));
        await Admin.Show(b.Id, await Admin.PlanId(brokers.BrokerAId, Catalogs.LargeA));
        var osbA = brokers.Manager.Osb(a, brokers.BrokerAId);
        var osbB = brokers.Manager.Osb(b, brokers.BrokerAId);
        var instanceId = Guid.NewGuid().ToString();
        await osbA.Provision(instanceId, Sm.ProvisionBody(Catalogs.ServiceA, plan)).Expect(HttpStatusCode.Accepted);
        Assert.Equal("succeeded", (await osbA.PollUntilDone($"v2/service_instances/{instanceId}")).State);
        return (osbA, osbB, instanceId, ReferencePlanId(await osbB.GetAsync("v2/catalog").Expect(HttpStatusCode.OK)));
    }

    private static JsonObject ReferenceBody(string referencePlan, string referencedId) => Sm.ProvisionBody(Catalogs.ServiceA, referencePlan,
        new JsonObject { ["platform"] = "cloudfoundry", ["organization_guid"] = "org-b", ["space_guid"] = "space-b" },
        new JsonObject { ["referenced_instance_id"] = referencedId });

    private Task<JsonObject> Share(string instanceId, bool shared, HttpStatusCode expected = HttpStatusCode.OK) =>
        Admin.Patch($"/v1/service_instances/{instanceId}", new JsonObject { ["shared"] = shared }).Expect(expected);

    [Fact]
    public async Task A_shared_instance_is_used_from_another_platform_through_a_reference_and_its_bindings()
    {
        var (osbA, osbB, instanceId, referencePlan) = await SharedSetup();
        Assert.True((await Share(instanceId, true))["shared"]!.GetValue<bool>());

        var referenceId = Guid.NewGuid().ToString();
        await osbB.Provision(referenceId, ReferenceBody(referencePlan, instanceId)).Expect(HttpStatusCode.Created);
        var reference = await Admin.Instance(referenceId);
        Assert.Equal(instanceId, reference!["referenced_instance_id"]!.GetValue<string>());
        Assert.True(reference["ready"]!.GetValue<bool>());
        Assert.Equal("succeeded", (await osbB.GetAsync($"v2/service_instances/{referenceId}/last_operation").Expect(HttpStatusCode.OK))["state"]!.GetValue<string>());

        var bindingId = Guid.NewGuid().ToString();
        var bound = await osbB.Put($"v2/service_instances/{referenceId}/service_bindings/{bindingId}",
            new JsonObject { ["service_id"] = Catalogs.ServiceA, ["plan_id"] = referencePlan }).Expect(HttpStatusCode.Created);
        Assert.NotNull(bound["credentials"]!["password"]);
        var binding = await Admin.GetAsync($"/v1/service_bindings/{bindingId}").Expect(HttpStatusCode.OK);
        Assert.Equal(referenceId, binding["service_instance_id"]!.GetValue<string>());
        Assert.Equal(instanceId, binding["bound_instance_id"]!.GetValue<string>());
        // The broker bound the shared instance: the binding is its binding there.
        await brokers.BrokerA.Client.GetAsync($"/v2/service_instances/{instanceId}/service_bindings/{bindingId}").Expect(HttpStatusCode.OK);

        // Neither unsharing nor deleting the shared instance passes while the reference exists.
        Assert.Contains("reference instance", (await Share(instanceId, false, HttpStatusCode.Conflict))["description"]!.GetValue<string>());
        var refused = await osbA.Deprovision(instanceId, Catalogs.ServiceA, Catalogs.SmallA).Expect((HttpStatusCode)422);
        Assert.Contains("reference instance", refused["description"]!.GetValue<string>());
        Assert.NotNull(await Admin.Instance(instanceId));

        await osbB.DeleteAsync($"v2/service_instances/{referenceId}/service_bindings/{bindingId}?service_id={Catalogs.ServiceA}&plan_id={referencePlan}")
            .Expect(HttpStatusCode.OK);
        await brokers.BrokerA.Client.GetAsync($"/v2/service_instances/{instanceId}/service_bindings/{bindingId}").Expect(HttpStatusCode.NotFound);
        await osbB.Deprovision(referenceId, Catalogs.ServiceA, referencePlan).Expect(HttpStatusCode.OK);
        Assert.False((await Share(instanceId, false))["shared"]!.GetValue<bool>());
        await osbA.DeprovisionAndWait(instanceId, Catalogs.ServiceA, Catalogs.SmallA);
    }

    [Fact]
    public async Task Only_a_ready_instance_of_a_shareable_plan_is_shared_and_only_a_shared_one_is_referenced()
    {
        var (osbA, osbB, instanceId, referencePlan) = await SharedSetup(Catalogs.LargeA);
        var before = await brokers.Manager.EventCount();
        Assert.Contains("not shareable", (await Share(instanceId, true, HttpStatusCode.BadRequest))["description"]!.GetValue<string>());
        var notShared = await osbB.Provision(Guid.NewGuid().ToString(), ReferenceBody(referencePlan, instanceId)).Expect(HttpStatusCode.BadRequest);
        Assert.Contains("is not a shared, ready instance", notShared["description"]!.GetValue<string>());
        await osbB.Provision(Guid.NewGuid().ToString(), ReferenceBody(referencePlan, Guid.NewGuid().ToString())).Expect(HttpStatusCode.BadRequest);
        var noTarget = Sm.ProvisionBody(Catalogs.ServiceA, referencePlan);
        Assert.Contains("referenced_instance_id", (await osbB.Provision(Guid.NewGuid().ToString(), noTarget).Expect(HttpStatusCode.BadRequest))["description"]!.GetValue<string>());
        Assert.Contains("only shared and labels", (await Admin.Patch($"/v1/service_instances/{instanceId}",
            new JsonObject { ["service_plan_id"] = "x" }).Expect(HttpStatusCode.BadRequest))["description"]!.GetValue<string>());
        Assert.Contains("shared must be true or false", (await Admin.Patch($"/v1/service_instances/{instanceId}",
            new JsonObject { ["shared"] = "yes" }).Expect(HttpStatusCode.BadRequest))["description"]!.GetValue<string>());
        Assert.Equal(before, await brokers.Manager.EventCount());
        await osbA.DeprovisionAndWait(instanceId, Catalogs.ServiceA, Catalogs.LargeA);
    }

    [Fact]
    public async Task Unsharing_while_a_reference_is_being_made_leaves_either_a_shared_instance_with_its_reference_or_neither()
    {
        var (osbA, osbB, instanceId, referencePlan) = await SharedSetup();
        for (var round = 0; round < 5; round++)
        {
            await Share(instanceId, true);
            var referenceId = Guid.NewGuid().ToString();
            var results = await Task.WhenAll(
                Task.Run(async () => (await osbB.Provision(referenceId, ReferenceBody(referencePlan, instanceId))).StatusCode),
                Task.Run(async () => (await Admin.Patch($"/v1/service_instances/{instanceId}", new JsonObject { ["shared"] = false })).StatusCode));
            var referenced = results[0] == HttpStatusCode.Created;
            var unshared = results[1] == HttpStatusCode.OK;
            Assert.True(referenced != unshared, $"round {round}: reference {results[0]}, unshare {results[1]}");
            var shared = (await Admin.Instance(instanceId))!["shared"]!.GetValue<bool>();
            Assert.Equal(referenced, shared);
            Assert.Equal(referenced, await Admin.Instance(referenceId) is not null);
            if (referenced) await osbB.Deprovision(referenceId, Catalogs.ServiceA, referencePlan).Expect(HttpStatusCode.OK);
        }
        await Share(instanceId, false);
        await osbA.DeprovisionAndWait(instanceId, Catalogs.ServiceA, Catalogs.SmallA);
    }
}
