using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using EventSourced.ServiceManager.Tests.Support;

namespace EventSourced.ServiceManager.Tests.Operations;

/// <summary>Peripli's asynchronous operations on the registry: <c>?async=true</c> → 202, Location, an operation to poll.</summary>
public sealed class AsyncOperationTests(TwoBrokers brokers) : IClassFixture<TwoBrokers>
{
    private HttpClient Admin => brokers.Manager.Admin;

    private async Task<JsonObject> Finished(string location) =>
        (await Eventually.Until(async () => await Admin.GetAsync(location).Expect(HttpStatusCode.OK),
            operation => operation["state"]!.GetValue<string>() != "in progress", $"operation {location} ends")).AsObject();

    [Fact]
    public async Task An_asynchronous_registration_answers_202_and_the_operation_reports_how_it_went()
    {
        using var response = await Admin.Post("/v1/service_brokers?async=true", Sm.BrokerBody(brokers.BrokerB, brokers.EnvironmentB, $"async-{Guid.NewGuid():N}"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Empty(await response.Json());
        var location = response.Headers.Location!.ToString();
        Assert.Matches("^/v1/service_brokers/[^/]+/operations/[^/]+$", location);
        var operation = await Finished(location);
        Assert.Equal("succeeded", operation["state"]!.GetValue<string>());
        Assert.Equal("create", operation["type"]!.GetValue<string>());
        var id = operation["resource_id"]!.GetValue<string>();
        await Admin.GetAsync($"/v1/service_brokers/{id}").Expect(HttpStatusCode.OK);
        await Admin.DeleteAsync($"/v1/service_brokers/{id}").Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_asynchronous_registration_the_broker_refuses_fails_with_the_reason()
    {
        var body = Sm.BrokerBody(brokers.BrokerB, brokers.EnvironmentB, $"refused-{Guid.NewGuid():N}");
        body["credentials"]!["basic"]!["password"] = "wrong";
        using var response = await Admin.Post("/v1/service_brokers?async=true", body);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var operation = await Finished(response.Headers.Location!.ToString());
        Assert.Equal("failed", operation["state"]!.GetValue<string>());
        Assert.Contains("answered 401 to GET /v2/catalog", operation["description"]!.GetValue<string>());
        await Admin.GetAsync($"/v1/service_brokers/{operation["resource_id"]}").Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_second_operation_on_a_resource_is_refused_with_422_while_the_first_runs()
    {
        var id = await Admin.RegisterBroker(brokers.BrokerB, brokers.EnvironmentB, $"busy-{Guid.NewGuid():N}");
        // A "broker" that takes connections and never answers keeps the first update running.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<TcpClient>();
        var accepting = Task.Run(async () =>
        {
            try { while (true) accepted.Add(await silent.AcceptTcpClientAsync()); }
            // Stopped between two accepts, the listener says "Not listening" (InvalidOperationException).
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException) { }
        });
        var silentUrl = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        using var first = await Admin.Patch($"/v1/service_brokers/{id}?async=true", new JsonObject { ["broker_url"] = silentUrl });
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var second = await Admin.Patch($"/v1/service_brokers/{id}?async=true", new JsonObject()).Expect((HttpStatusCode)422);
        Assert.Equal("ConcurrentOperation", second["error"]!.GetValue<string>());

        await Eventually.True(() => accepted.Count > 0, "the manager called the silent broker");
        silent.Stop();
        foreach (var client in accepted) client.Dispose();
        await accepting;
        var operation = await Finished(first.Headers.Location!.ToString());
        Assert.Equal("failed", operation["state"]!.GetValue<string>());
        Assert.Contains("did not answer", operation["description"]!.GetValue<string>());
        // The failed update changed nothing.
        Assert.Equal(brokers.BrokerB.BaseAddress.ToString().TrimEnd('/'),
            (await Admin.GetAsync($"/v1/service_brokers/{id}").Expect(HttpStatusCode.OK))["broker_url"]!.GetValue<string>());
        await Admin.DeleteAsync($"/v1/service_brokers/{id}?async=true").Expect(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task A_visibility_is_changed_and_deleted_asynchronously()
    {
        var platform = await Admin.RegisterPlatform($"v-{Guid.NewGuid():N}");
        var id = await Admin.Show(platform.Id, await Admin.PlanId(brokers.BrokerAId, Catalogs.SmallA));
        using var patched = await Admin.Patch($"/v1/visibilities/{id}?async=true", new JsonObject
        {
            ["labels"] = new JsonArray(new JsonObject { ["op"] = "add", ["key"] = "organization_guid", ["values"] = new JsonArray("org") }),
        });
        Assert.Equal(HttpStatusCode.Accepted, patched.StatusCode);
        Assert.Equal("succeeded", (await Finished(patched.Headers.Location!.ToString()))["state"]!.GetValue<string>());
        Assert.Equal("org", (await Admin.GetAsync($"/v1/visibilities/{id}").Expect(HttpStatusCode.OK))["labels"]!["organization_guid"]![0]!.GetValue<string>());
        using var deleted = await Admin.DeleteAsync($"/v1/visibilities/{id}?async=true");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        var operation = await Finished(deleted.Headers.Location!.ToString());
        Assert.Equal(("delete", "succeeded"), (operation["type"]!.GetValue<string>(), operation["state"]!.GetValue<string>()));
        await Admin.GetAsync($"/v1/visibilities/{id}").Expect(HttpStatusCode.NotFound);
        await Admin.DeleteAsync($"/v1/visibilities/{id}?async=true").Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Async_must_be_true_or_false()
    {
        var refused = await Admin.Post("/v1/visibilities?async=maybe", new JsonObject
        {
            ["service_plan_id"] = await Admin.PlanId(brokers.BrokerAId, Catalogs.SmallA),
        }).Expect(HttpStatusCode.BadRequest);
        Assert.Contains("async must be true or false", refused["description"]!.GetValue<string>());
        await Admin.GetAsync($"/v1/service_brokers/{brokers.BrokerAId}/operations/{Guid.NewGuid()}").Expect(HttpStatusCode.NotFound);
    }
}
