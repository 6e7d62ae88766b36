using System.Net;
using System.Text.Json.Nodes;
using EventSourced.ServiceManager.Tests.Support;

namespace EventSourced.ServiceManager.Tests.Registry;

/// <summary>Registering brokers: the catalog fetched from the real broker, its password encrypted at rest, refusals that record nothing.</summary>
public sealed class BrokerRegistrationTests(TwoBrokers brokers) : IClassFixture<TwoBrokers>
{
    private HttpClient Admin => brokers.Manager.Admin;

    [Fact]
    public async Task Registering_a_broker_fetches_its_catalog_into_offerings_and_plans()
    {
        var broker = await Admin.GetAsync($"/v1/service_brokers/{brokers.BrokerBId}").Expect(HttpStatusCode.OK);
        Assert.Equal("broker-b", broker["name"]!.GetValue<string>());
        Assert.Null(broker["credentials"]);

        var offerings = await Admin.GetAsync($"/v1/service_offerings?fieldQuery={Uri.EscapeDataString($"broker_id eq '{brokers.BrokerBId}'")}")
            .Expect(HttpStatusCode.OK);
        var offering = Assert.Single(offerings["items"]!.AsArray())!;
        Assert.Equal(Catalogs.ServiceB, offering["catalog_id"]!.GetValue<string>());
        Assert.Equal("postgresql-analytics", offering["name"]!.GetValue<string>());
        var plans = await Admin.GetAsync($"/v1/service_plans?fieldQuery={Uri.EscapeDataString($"service_offering_id eq '{offering["id"]}'")}")
            .Expect(HttpStatusCode.OK);
        Assert.Equal(Catalogs.PlansB, plans["items"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task The_brokers_password_is_stored_encrypted_never_in_plaintext()
    {
        Assert.Equal(0, await brokers.Manager.CountOccurrences(brokers.EnvironmentA.Password));
        Assert.Equal(0, await brokers.Manager.CountOccurrences(brokers.EnvironmentB.Password));
        // …yet the manager can still call the broker with it (a PATCH fetches the catalog again).
        await Admin.Patch($"/v1/service_brokers/{brokers.BrokerAId}", new JsonObject()).Expect(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("{\"name\":\"x\",\"name\":\"y\"}", "not valid JSON")]
    [InlineData("{\"broker_url\":\"http://127.0.0.1:1\",\"credentials\":{\"basic\":{\"username\":\"u\",\"password\":\"p\"}}}", "name is required")]
    [InlineData("{\"name\":\"x\",\"broker_url\":\"ftp://127.0.0.1/\",\"credentials\":{\"basic\":{\"username\":\"u\",\"password\":\"p\"}}}", "broker_url must be an absolute http")]
    [InlineData("{\"name\":\"x\",\"broker_url\":\"http://u:p@127.0.0.1/\",\"credentials\":{\"basic\":{\"username\":\"u\",\"password\":\"p\"}}}", "without user info")]
    [InlineData("{\"name\":\"x\",\"broker_url\":\"http://127.0.0.1:1\"}", "credentials is required")]
    [InlineData("{\"name\":\"x\",\"broker_url\":\"http://127.0.0.1:1\",\"credentials\":{\"tls\":{}}}", "only basic credentials")]
    [InlineData("{\"name\":\"x\",\"broker_url\":\"http://127.0.0.1:1\",\"credentials\":{\"basic\":{\"username\":\"u\",\"password\":\"p\"}},\"labels\":{\"a b\":[\"v\"]}}", "white space")]
    [InlineData("{\"name\":\"x\",\"broker_url\":\"http://127.0.0.1:1\",\"credentials\":{\"basic\":{\"username\":\"u\",\"password\":\"p\"}},\"labels\":{\"k\":[]}}", "non-empty array")]
    [InlineData("{\"id\":\"../x\",\"name\":\"x\",\"broker_url\":\"http://127.0.0.1:1\",\"credentials\":{\"basic\":{\"username\":\"u\",\"password\":\"p\"}}}", "id must be")]
    [InlineData("{\"name\":\"x\\u0000\",\"broker_url\":\"http://127.0.0.1:1\",\"credentials\":{\"basic\":{\"username\":\"u\",\"password\":\"p\"}}}", "U+0000")]
    [InlineData("{\"name\":\"x\\ud800\",\"broker_url\":\"http://127.0.0.1:1\",\"credentials\":{\"basic\":{\"username\":\"u\",\"password\":\"p\"}}}", "not valid JSON")]
    [InlineData("{\"name\":\"x\",\"broker_url\":\"http://127.0.0.1:1\",\"credentials\":{\"basic\":{\"username\":\"u\",\"password\":\"p\"}},\"labels\":{\"\\udc00\":[\"v\"]}}", "not valid JSON")]
    public async Task A_malformed_registration_is_refused_naming_the_problem_and_records_nothing(string body, string named)
    {
        var before = await brokers.Manager.EventCount();
        using var response = await Admin.PostAsync("/v1/service_brokers", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(named, (await response.Json())["description"]!.GetValue<string>());
        Assert.Equal(before, await brokers.Manager.EventCount());
    }

    [Fact]
    public async Task A_broker_that_refuses_the_credentials_or_does_not_answer_is_not_registered()
    {
        var before = await brokers.Manager.EventCount();
        var wrong = Sm.BrokerBody(brokers.BrokerA, brokers.EnvironmentA, "wrong-password");
        wrong["credentials"]!["basic"]!["password"] = "not-the-password";
        var refused = await Admin.Post("/v1/service_brokers", wrong).Expect(HttpStatusCode.BadGateway);
        Assert.Contains("401", refused["description"]!.GetValue<string>());

        var nowhere = Sm.BrokerBody(brokers.BrokerA, brokers.EnvironmentA, "nowhere");
        nowhere["broker_url"] = "http://127.0.0.1:9";
        await Admin.Post("/v1/service_brokers", nowhere).Expect(HttpStatusCode.BadGateway);
        Assert.Equal(before, await brokers.Manager.EventCount());
    }

    [Fact]
    public async Task Two_registrations_of_one_name_at_once_register_one_broker()
    {
        var name = $"race-{Guid.NewGuid():N}";
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            using var response = await Admin.Post("/v1/service_brokers", Sm.BrokerBody(brokers.BrokerB, brokers.EnvironmentB, name));
            return response.StatusCode;
        }));
        Assert.Single(answers, s => s == HttpStatusCode.Created);
        Assert.Equal(3, answers.Count(s => s == HttpStatusCode.Conflict));
        var listed = await Admin.GetAsync($"/v1/service_brokers?fieldQuery={Uri.EscapeDataString($"name eq '{name}'")}").Expect(HttpStatusCode.OK);
        var id = Assert.Single(listed["items"]!.AsArray())!["id"]!.GetValue<string>();
        await Admin.DeleteAsync($"/v1/service_brokers/{id}").Expect(HttpStatusCode.OK);
        await Admin.GetAsync($"/v1/service_brokers/{id}").Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_registry_answers_only_the_admin()
    {
        using var anonymous = brokers.Manager.Anonymous();
        using var wrong = brokers.Manager.Client("admin", "wrong");
        foreach (var client in new[] { anonymous, wrong })
        {
            using var response = await client.GetAsync("/v1/service_brokers");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Unauthorized", (await response.Json())["error"]!.GetValue<string>());
        }
        var platform = await Admin.RegisterPlatform($"p-{Guid.NewGuid():N}");
        using var asPlatform = brokers.Manager.Client(platform.Username, platform.Password);
        Assert.Equal(HttpStatusCode.Unauthorized, (await asPlatform.GetAsync("/v1/service_brokers")).StatusCode);
        // …and the admin is not a platform.
        Assert.Equal(HttpStatusCode.Unauthorized, (await Admin.GetAsync($"/v1/osb/{brokers.BrokerAId}/v2/catalog")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health")).StatusCode);
    }
}
