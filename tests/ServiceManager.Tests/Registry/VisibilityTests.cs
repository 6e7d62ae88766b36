using System.Net;
using System.Text.Json.Nodes;
using EventSourced.ServiceManager.Tests.Support;

namespace EventSourced.ServiceManager.Tests.Registry;

/// <summary>Visibilities decide which platform's catalog shows which plan of which broker.</summary>
public sealed class VisibilityTests(TwoBrokers brokers) : IClassFixture<TwoBrokers>
{
    private HttpClient Admin => brokers.Manager.Admin;

    private static async Task<List<string>> CatalogPlans(HttpClient osb)
    {
        var catalog = await osb.GetAsync("v2/catalog").Expect(HttpStatusCode.OK);
        return catalog["services"]!.AsArray().SelectMany(s => s!["plans"]!.AsArray().Select(p => p!["name"]!.GetValue<string>())).Order().ToList();
    }

    [Fact]
    public async Task Each_platform_sees_the_plans_its_visibilities_show_and_nothing_else()
    {
        var cf = await Admin.RegisterPlatform($"cf-{Guid.NewGuid():N}", "cloudfoundry");
        var k8s = await Admin.RegisterPlatform($"k8s-{Guid.NewGuid():N}");
        using var cfA = brokers.Manager.Osb(cf, brokers.BrokerAId);
        using var cfB = brokers.Manager.Osb(cf, brokers.BrokerBId);
        using var k8sA = brokers.Manager.Osb(k8s, brokers.BrokerAId);
        using var k8sB = brokers.Manager.Osb(k8s, brokers.BrokerBId);
        Assert.Empty(await CatalogPlans(cfA));

        await Admin.Show(cf.Id, await Admin.PlanId(brokers.BrokerAId, Catalogs.LargeA));
        await Admin.Show(k8s.Id, await Admin.PlanId(brokers.BrokerBId, Catalogs.SmallB));

        // Broker A's small plan is shareable: the offering gets the manager's reference plan too.
        Assert.Equal(["dedicated-large", "reference-instance"], await CatalogPlans(cfA));
        Assert.Empty(await CatalogPlans(cfB));
        Assert.Empty(await CatalogPlans(k8sA));
        Assert.Equal(["analytics-small"], await CatalogPlans(k8sB));
    }

    [Fact]
    public async Task A_visibility_without_platform_shows_the_plan_to_every_platform()
    {
        var planId = await Admin.PlanId(brokers.BrokerBId, Catalogs.LargeB);
        var visibility = await Admin.Show(null, planId);
        try
        {
            var first = await Admin.RegisterPlatform($"any-{Guid.NewGuid():N}");
            using var osb = brokers.Manager.Osb(first, brokers.BrokerBId);
            Assert.Contains("analytics-large", await CatalogPlans(osb));
        }
        finally
        {
            await Admin.DeleteAsync($"/v1/visibilities/{visibility}").Expect(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task Two_identical_visibilities_at_once_make_one()
    {
        var platform = await Admin.RegisterPlatform($"dup-{Guid.NewGuid():N}");
        var planId = await Admin.PlanId(brokers.BrokerAId, Catalogs.SmallA);
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            using var response = await Admin.Post("/v1/visibilities", new JsonObject { ["platform_id"] = platform.Id, ["service_plan_id"] = planId });
            return (response.StatusCode, Body: await response.Json());
        }));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Created), a =>
        {
            Assert.Equal(HttpStatusCode.Conflict, a.StatusCode);
            Assert.Equal("VisibilityAlreadyExists", a.Body["error"]!.GetValue<string>());
        });
        var listed = await Admin.GetAsync($"/v1/visibilities?fieldQuery={Uri.EscapeDataString($"platform_id eq '{platform.Id}'")}").Expect(HttpStatusCode.OK);
        Assert.Single(listed["items"]!.AsArray());
    }

    [Theory]
    [InlineData("{}", "service_plan_id is required")]
    [InlineData("{\"service_plan_id\":\"no-such-plan\"}", "not a plan of a registered broker")]
    [InlineData("{\"service_plan_id\":[1]}", "service_plan_id must be a string")]
    public async Task A_visibility_of_nothing_is_refused(string body, string named)
    {
        var before = await brokers.Manager.EventCount();
        using var response = await Admin.PostAsync("/v1/visibilities", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(named, (await response.Json())["description"]!.GetValue<string>());
        Assert.Equal(before, await brokers.Manager.EventCount());
    }

    [Fact]
    public async Task A_visibility_for_an_unknown_platform_is_refused()
    {
        var planId = await Admin.PlanId(brokers.BrokerAId, Catalogs.SmallA);
        var refused = await Admin.Post("/v1/visibilities", new JsonObject { ["platform_id"] = "nobody", ["service_plan_id"] = planId }).Expect(HttpStatusCode.BadRequest);
        Assert.Contains("platform_id 'nobody'", refused["description"]!.GetValue<string>());
    }
}
