using System.Net;
using System.Text.Json.Nodes;
using EventSourced.ServiceManager.Tests.Support;

namespace EventSourced.ServiceManager.Tests.Registry;

/// <summary>Platforms: credentials shown once and stored hashed, regenerated on demand, deletion refused while instances exist.</summary>
public sealed class PlatformTests(TwoBrokers brokers) : IClassFixture<TwoBrokers>
{
    private HttpClient Admin => brokers.Manager.Admin;

    [Fact]
    public async Task Registering_a_platform_answers_its_credentials_once_and_stores_only_their_hash()
    {
        var platform = await Admin.RegisterPlatform($"cf-{Guid.NewGuid():N}", "cloudfoundry");
        var fetched = await Admin.GetAsync($"/v1/platforms/{platform.Id}").Expect(HttpStatusCode.OK);
        Assert.Null(fetched["credentials"]);
        Assert.Equal("cloudfoundry", fetched["type"]!.GetValue<string>());
        Assert.Equal(0, await brokers.Manager.CountOccurrences(platform.Password));

        using var osb = brokers.Manager.Osb(platform, brokers.BrokerAId);
        Assert.Equal(HttpStatusCode.OK, (await osb.GetAsync("v2/catalog")).StatusCode);
        using var wrong = brokers.Manager.Osb(platform with { Password = platform.Password + "x" }, brokers.BrokerAId);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("v2/catalog")).StatusCode);
    }

    [Fact]
    public async Task Regenerated_credentials_replace_the_old_ones()
    {
        var platform = await Admin.RegisterPlatform($"k8s-{Guid.NewGuid():N}");
        var patched = await Admin.Patch($"/v1/platforms/{platform.Id}?regenerateCredentials=true", new JsonObject()).Expect(HttpStatusCode.OK);
        var basic = patched["credentials"]!["basic"]!;
        var renewed = platform with { Username = basic["username"]!.GetValue<string>(), Password = basic["password"]!.GetValue<string>() };

        using var old = brokers.Manager.Osb(platform, brokers.BrokerAId);
        Assert.Equal(HttpStatusCode.Unauthorized, (await old.GetAsync("v2/catalog")).StatusCode);
        using var current = brokers.Manager.Osb(renewed, brokers.BrokerAId);
        Assert.Equal(HttpStatusCode.OK, (await current.GetAsync("v2/catalog")).StatusCode);
    }

    [Theory]
    [InlineData("{\"type\":\"k8s\"}", "name is required")]
    [InlineData("{\"name\":\"x\"}", "type is required")]
    [InlineData("{\"name\":17,\"type\":\"k8s\"}", "name must be a string")]
    [InlineData("{\"name\":\"x\",\"type\":\"k8s\",\"id\":\"service-manager\"}", "names the manager itself")]
    [InlineData("{\"name\":\"x\",\"type\":\"k8s\",\"labels\":[\"a\"]}", "labels must be an object")]
    [InlineData("{\"name\":\"x\\ud800\",\"type\":\"k8s\"}", "not valid JSON")]
    [InlineData("{\"name\":\"x\",\"type\":\"k8s\",\"description\":\"\\udc00x\"}", "not valid JSON")]
    public async Task A_malformed_platform_is_refused_naming_the_problem_and_records_nothing(string body, string named)
    {
        var before = await brokers.Manager.EventCount();
        using var response = await Admin.PostAsync("/v1/platforms", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(named, (await response.Json())["description"]!.GetValue<string>());
        Assert.Equal(before, await brokers.Manager.EventCount());
    }

    [Fact]
    public async Task Two_registrations_of_one_platform_id_at_once_register_it_once_with_one_set_of_credentials()
    {
        var id = $"p-{Guid.NewGuid():N}";
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(async i =>
        {
            using var response = await Admin.Post("/v1/platforms", new JsonObject { ["id"] = id, ["name"] = $"{id}-{i}", ["type"] = "k8s" });
            return (response.StatusCode, Body: await response.Json());
        }));
        var created = Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.Equal(3, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        var basic = created.Body["credentials"]!["basic"]!;
        using var osb = brokers.Manager.Osb(new Platform(id, basic["username"]!.GetValue<string>(), basic["password"]!.GetValue<string>()), brokers.BrokerAId);
        Assert.Equal(HttpStatusCode.OK, (await osb.GetAsync("v2/catalog")).StatusCode);
    }

    [Fact]
    public async Task Deleting_a_platform_takes_its_visibilities_with_it()
    {
        var platform = await Admin.RegisterPlatform($"gone-{Guid.NewGuid():N}");
        var visibility = await Admin.Show(platform.Id, await Admin.PlanId(brokers.BrokerBId, Catalogs.SmallB));
        await Admin.DeleteAsync($"/v1/platforms/{platform.Id}").Expect(HttpStatusCode.OK);
        await Admin.GetAsync($"/v1/visibilities/{visibility}").Expect(HttpStatusCode.NotFound);
        using var osb = brokers.Manager.Osb(platform, brokers.BrokerAId);
        Assert.Equal(HttpStatusCode.Unauthorized, (await osb.GetAsync("v2/catalog")).StatusCode);
    }
}
