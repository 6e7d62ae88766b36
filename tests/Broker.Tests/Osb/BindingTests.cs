using EventSourced.TestSupport;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using Npgsql;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Osb;

/// <summary><c>…/service_bindings/{id}</c>: real login roles on the instance's dedicated server.</summary>
public sealed class BindingTests(ProvisionedInstanceFixture instance) : IClassFixture<ProvisionedInstanceFixture>
{
    private BrokerFixture Fixture => instance.Broker;
    private HttpClient Client => Fixture.Broker.Client;

    [Fact]
    public async Task Bind_WithoutAcceptsIncomplete_Returns201WithCredentialsThatConnect()
    {
        var response = await Bind(Guid.NewGuid(), acceptsIncomplete: false);

        var body = await response.AssertStatus(HttpStatusCode.Created);
        var credentials = body["credentials"]!.AsObject();
        foreach (var field in new[] { "uri", "jdbcUrl", "host", "port", "database", "username", "password" })
            Assert.True(credentials.ContainsKey(field), $"credentials lack {field}: {body.ToJsonString()}");
        var (host, port, database) = ((string)credentials["host"]!, (int)credentials["port"]!, (string)credentials["database"]!);
        Assert.StartsWith("postgresql://", (string?)credentials["uri"]);
        Assert.EndsWith($"@{host}:{port}/{database}", (string?)credentials["uri"]);
        Assert.StartsWith($"jdbc:postgresql://{host}:{port}/{database}?", (string?)credentials["jdbcUrl"]);
        var endpoint = body["endpoints"]!.AsArray().Single()!;
        Assert.Equal(host, (string?)endpoint["host"]);
        Assert.Equal(port.ToString(), (string?)endpoint["ports"]![0]);
        Assert.Equal(42, await Query(credentials, "SELECT 41 + 1"));
        await Assert.ThrowsAnyAsync<PostgresException>(() => Query(WithPassword(credentials, "wrong"), "SELECT 1"));
    }

    [Fact]
    public async Task Bind_IdenticalAgain_Returns200WithTheSameCredentials()
    {
        var bindingId = Guid.NewGuid();
        var created = await (await Bind(bindingId, acceptsIncomplete: false)).AssertStatus(HttpStatusCode.Created);

        var response = await Fixture.Refused(_ => Bind(bindingId, acceptsIncomplete: false));

        var body = await response.AssertStatus(HttpStatusCode.OK);
        Assert.Equal((string?)created["credentials"]!["password"], (string?)body["credentials"]!["password"]);
    }

    [Fact]
    public async Task Bind_SameIdAnotherPlan_Returns409()
    {
        var bindingId = Guid.NewGuid();
        await (await Bind(bindingId, acceptsIncomplete: false)).AssertStatus(HttpStatusCode.Created);

        var response = await Fixture.Refused(_ => Client.PutAsJsonAsync(BindingPath(bindingId),
            new { service_id = ServiceId, plan_id = LargePlanId, app_guid = "app-guid", bind_resource = new { app_guid = "app-guid" } }));

        await response.AssertOsbError(HttpStatusCode.Conflict, "Conflict");
    }

    [Fact]
    public async Task Bind_ResponseCarriesNoParameters_TheFetchedBindingDoes()
    {
        var bindingId = Guid.NewGuid();

        var created = await (await Bind(bindingId, acceptsIncomplete: false)).AssertStatus(HttpStatusCode.Created);
        var fetched = await (await Client.GetAsync(BindingPath(bindingId))).AssertStatus(HttpStatusCode.OK);

        Assert.False(created.ContainsKey("parameters"), created.ToJsonString());
        Assert.True(fetched.ContainsKey("credentials"), fetched.ToJsonString());
    }

    [Fact]
    public async Task Bind_SameIdDifferentAttributes_Returns409()
    {
        // The binding schema accepts no parameters at all, so the attribute that differs is the app.
        var bindingId = Guid.NewGuid();
        await (await Bind(bindingId, acceptsIncomplete: false)).AssertStatus(HttpStatusCode.Created);

        var response = await Fixture.Refused(_ => Bind(bindingId, acceptsIncomplete: false, appGuid: "another-app"));

        await response.AssertOsbError(HttpStatusCode.Conflict, "Conflict");
    }

    [Fact]
    public async Task Bind_UnknownParameters_Returns400()
    {
        var response = await Fixture.Refused(_ => Bind(Guid.NewGuid(), acceptsIncomplete: false, parameters: new { superuser = true }));

        var body = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Equal("parameters/superuser: Value is not allowed.", (string?)body["description"]);
    }

    [Fact]
    public async Task Bind_Async_Returns202WithoutCredentials_ThenSucceeds_AndFetchReturnsThem()
    {
        var bindingId = Guid.NewGuid();

        var response = await Bind(bindingId, acceptsIncomplete: true);

        var operation = await response.AcceptedOperation();
        Assert.False((await response.Json()).ContainsKey("credentials"));
        var state = await PollBinding(bindingId, operation);
        Assert.Equal("succeeded", state);
        var fetched = await (await Client.GetAsync(BindingPath(bindingId))).AssertStatus(HttpStatusCode.OK);
        var credentials = fetched["credentials"]!.AsObject();
        Assert.False(string.IsNullOrEmpty((string?)credentials["password"]));
        Assert.Equal(1, await Query(credentials, "SELECT 1"));
    }

    [Fact]
    public async Task Bind_WithPredecessor_RotatesCredentials_AndBothWork()
    {
        var predecessorId = Guid.NewGuid();
        var old = (await (await Bind(predecessorId, acceptsIncomplete: false)).AssertStatus(HttpStatusCode.Created))["credentials"]!.AsObject();

        var response = await Bind(Guid.NewGuid(), acceptsIncomplete: false, predecessor: predecessorId);

        var rotated = (await response.AssertStatus(HttpStatusCode.Created))["credentials"]!.AsObject();
        Assert.NotEqual((string?)old["username"], (string?)rotated["username"]);
        Assert.NotEqual((string?)old["password"], (string?)rotated["password"]);
        Assert.Equal(1, await Query(old, "SELECT 1"));
        Assert.Equal(1, await Query(rotated, "SELECT 1"));
    }

    [Fact]
    public async Task Unbind_Returns200_TerminatesSessionsAndLogins_ThenDeleteAgainReturns410()
    {
        var bindingId = Guid.NewGuid();
        var credentials = (await (await Bind(bindingId, acceptsIncomplete: false)).AssertStatus(HttpStatusCode.Created))["credentials"]!.AsObject();
        await using var session = new NpgsqlConnection(ConnectionString(credentials));
        await session.OpenAsync();
        await using (var before = new NpgsqlCommand("SELECT 1", session)) Assert.Equal(1, await before.ExecuteScalarAsync());

        var response = await Client.DeleteAsync(UnbindPath(bindingId));

        await response.AssertStatus(HttpStatusCode.OK);
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var after = new NpgsqlCommand("SELECT 1", session);
            await after.ExecuteScalarAsync();
        });
        await Assert.ThrowsAnyAsync<PostgresException>(() => Query(credentials, "SELECT 1"));
        var again = await Fixture.Refused(client => client.DeleteAsync(UnbindPath(bindingId)));
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
    }

    [Fact]
    public async Task Bind_UnknownInstance_Returns404()
    {
        var response = await Fixture.Refused(client => client.PutAsJsonAsync(
            $"/v2/service_instances/{Guid.NewGuid()}/service_bindings/{Guid.NewGuid()}", BindBody("app-guid", null, null)));

        await response.AssertOsbError(HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task Bind_DeprovisionedInstance_Returns404()
    {
        var deprovisioned = Guid.NewGuid();
        await (await Client.Provision(deprovisioned)).AcceptedOperation();
        await Fixture.AssertEnds(deprovisioned, HttpStatusCode.OK, "succeeded");
        await (await Client.Deprovision(deprovisioned)).AcceptedOperation();
        await Fixture.AssertEnds(deprovisioned, HttpStatusCode.Gone, null);

        var response = await Fixture.Refused(client => client.PutAsJsonAsync(
            $"/v2/service_instances/{deprovisioned}/service_bindings/{Guid.NewGuid()}", BindBody("app-guid", null, null)));

        await response.AssertOsbError(HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task Bind_DuringAnInstanceUpdate_Returns422ConcurrencyError()
    {
        var update = await Client.PatchAsJsonAsync($"/v2/service_instances/{instance.InstanceId}?accepts_incomplete=true",
            new { service_id = ServiceId, parameters = new { max_connections = 63 } });
        await update.AcceptedOperation();

        var response = await Fixture.RefusedWhileRunning(_ => Bind(Guid.NewGuid(), acceptsIncomplete: true));

        await response.AssertOsbError(HttpStatusCode.UnprocessableEntity, "ConcurrencyError");
        await Fixture.AssertEnds(instance.InstanceId, HttpStatusCode.OK, "succeeded");
    }

    [Fact]
    public async Task FetchBinding_Unknown_Returns404()
    {
        var response = await Client.GetAsync(BindingPath(Guid.NewGuid()));

        await response.AssertOsbError(HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task Bind_ThePasswordNeverAppearsInTheDatabaseOrTheLogs()
    {
        var bindingId = Guid.NewGuid();
        var credentials = (await (await Bind(bindingId, acceptsIncomplete: false)).AssertStatus(HttpStatusCode.Created))["credentials"]!;
        var password = (string)credentials["password"]!;
        Assert.True(password.Length >= 16, password);

        await instance.AssertSecretNowhere(password);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync(BindingPath(bindingId))).StatusCode);
        await instance.AssertSecretNowhere(password);
    }

    private string BindingPath(Guid bindingId) => $"/v2/service_instances/{instance.InstanceId}/service_bindings/{bindingId}";

    private string UnbindPath(Guid bindingId) => $"{BindingPath(bindingId)}?service_id={ServiceId}&plan_id={SmallPlanId}";

    private static object BindBody(string appGuid, object? parameters, Guid? predecessor) => new
    {
        service_id = ServiceId,
        plan_id = SmallPlanId,
        app_guid = appGuid,
        bind_resource = new { app_guid = appGuid },
        parameters,
        predecessor_binding_id = predecessor?.ToString(),
    };

    private Task<HttpResponseMessage> Bind(
        Guid bindingId, bool acceptsIncomplete, string appGuid = "app-guid", object? parameters = null, Guid? predecessor = null) =>
        Client.PutAsJsonAsync(acceptsIncomplete ? $"{BindingPath(bindingId)}?accepts_incomplete=true" : BindingPath(bindingId),
            BindBody(appGuid, parameters, predecessor));

    private Task<string?> PollBinding(Guid bindingId, string operation) =>
        Eventually.Until(async () =>
        {
            var response = await Client.GetAsync($"{BindingPath(bindingId)}/last_operation?operation={operation}");
            return (string?)(await response.AssertStatus(HttpStatusCode.OK))["state"];
        }, state => state != "in progress", $"binding {bindingId}'s operation ends", seconds: 60);

    private static string ConnectionString(JsonObject credentials) =>
        $"Host={credentials["host"]};Port={credentials["port"]};Database={credentials["database"]};" +
        $"Username={credentials["username"]};Password={credentials["password"]};Pooling=false;Timeout=5";

    private static JsonObject WithPassword(JsonObject credentials, string password)
    {
        var copy = credentials.DeepClone().AsObject();
        copy["password"] = password;
        return copy;
    }

    private static async Task<object?> Query(JsonObject credentials, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(credentials));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
