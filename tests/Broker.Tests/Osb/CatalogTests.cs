using System.Net;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Osb;

public sealed class CatalogTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task Catalog_Returns200WithServiceAndPlans()
    {
        var body = await (await fixture.Broker.Client.GetAsync("/v2/catalog")).AssertStatus(HttpStatusCode.OK);

        var service = Assert.Single(body["services"]!.AsArray())!.AsObject();
        Assert.Equal(ServiceId, (string?)service["id"]);
        Assert.Equal("postgresql-on-demand", (string?)service["name"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)service["description"]));
        Assert.True((bool)service["bindable"]!);
        Assert.True((bool)service["plan_updateable"]!);
        var plans = service["plans"]!.AsArray().Select(p => p!.AsObject()).ToDictionary(p => (string)p["name"]!);
        Assert.Equal(["cluster-large", "cluster-small", "database", "dedicated-large", "dedicated-small"], plans.Keys.Order());
        Assert.Equal(SmallPlanId, (string?)plans["dedicated-small"]["id"]);
        Assert.Equal(LargePlanId, (string?)plans["dedicated-large"]["id"]);
        Assert.All(plans.Values, plan => Assert.False(string.IsNullOrWhiteSpace((string?)plan["description"])));
    }
}
