using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Tests.Logging;

/// <summary>
/// The broker's output, at Debug for every category, through a provision and a bind on real dedicated servers: one JSON
/// object a line, the lines about the instance carry its id, its operation's and the platform's request identity as
/// scope fields, and no secret is anywhere in it (binding password, the database owner's password, the Secrets key, the
/// platforms' broker password).
/// </summary>
public sealed class StructuredLogTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Verbose = new()
    {
        ["Logging__LogLevel__Default"] = "Debug",
        ["Logging__LogLevel__Microsoft.AspNetCore"] = "Debug",
        ["Logging__LogLevel__MassTransit"] = "Debug",
    };

    private BrokerEnvironment _environment = null!;

    public async Task InitializeAsync() => _environment = await BrokerEnvironment.Create();

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public async Task ProvisionAndBind_AtDebug_LogJsonLinesWithTheRequestInstanceAndOperation_AndNoSecret()
    {
        await using var broker = await BrokerProcess.Start(_environment, Verbose);
        var instanceId = Guid.NewGuid();
        var requestIdentity = $"req-{Guid.NewGuid():N}";
        using (var put = new HttpRequestMessage(HttpMethod.Put, $"/v2/service_instances/{instanceId}?accepts_incomplete=true")
               { Content = JsonContent.Create(Hosting.Osb.ProvisionBody()) })
        {
            put.Headers.Add("X-Broker-API-Request-Identity", requestIdentity);
            Assert.Equal(HttpStatusCode.Accepted, (await broker.Client.SendAsync(put)).StatusCode);
        }
        var done = await broker.Client.PollUntilDone(instanceId, details: () => broker.Output);
        Assert.True(done.State == "succeeded", $"{done}\n{broker.Output}");
        var bind = await broker.Client.PutAsJsonAsync($"/v2/service_instances/{instanceId}/service_bindings/{Guid.NewGuid()}",
            new { service_id = Hosting.Osb.ServiceId, plan_id = Hosting.Osb.SmallPlanId, app_guid = "app", bind_resource = new { app_guid = "app" } });
        var bound = await bind.Json();
        Assert.True(bind.StatusCode == HttpStatusCode.Created, bound.ToJsonString());
        var bindingPassword = (string)bound["credentials"]!["password"]!;
        var state = ServiceInstance.Fold(await _environment.InstanceEvents(instanceId));
        var adminPassword = new SecretProtector(_environment.SecretKey).Unprotect(state.Database!.EncryptedAdminPassword);
        var operationId = state.Operations[0].Id.ToString();

        var output = broker.Output;
        foreach (var (name, secret) in new[]
                 {
                     ("binding password", bindingPassword), ("database owner's password", adminPassword),
                     ("Secrets key", _environment.SecretKey), ("broker password", _environment.Password),
                 })
        {
            var at = output.IndexOf(secret, StringComparison.Ordinal);
            Assert.True(at < 0, $"the {name} is in the broker's output: …{output[Math.Max(0, at - 300)..Math.Min(output.Length, at + secret.Length + 50)]}…");
        }

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var notJson = lines.Where(line => !IsJsonObject(line)).ToList();
        Assert.True(notJson.Count == 0, $"{notJson.Count} of {lines.Length} lines are not JSON objects, e.g.:\n{string.Join("\n", notJson.Take(5))}");
        var entries = lines.Select(line => JsonNode.Parse(line)!.AsObject()).ToList();
        Assert.All(entries.Take(20), e => Assert.True(e.ContainsKey("Timestamp") && e.ContainsKey("LogLevel") && e.ContainsKey("Category"), e.ToJsonString()));
        Assert.True(entries.Any(e => Scoped(e, "RequestIdentity", requestIdentity) && Scoped(e, "InstanceId", instanceId.ToString())),
            $"no line with the request identity {requestIdentity} and instance {instanceId} as scope fields");
        Assert.True(entries.Any(e => Scoped(e, "InstanceId", instanceId.ToString()) && Scoped(e, "OperationId", operationId)),
            $"no line with instance {instanceId} and operation {operationId} as scope fields");
    }

    private static bool IsJsonObject(string line)
    {
        try
        {
            return JsonNode.Parse(line) is JsonObject;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>A scope of the entry (the JSON formatter writes each scope's fields as an object) has <paramref name="field"/> = <paramref name="value"/>.</summary>
    private static bool Scoped(JsonObject entry, string field, string value) =>
        entry["Scopes"] is JsonArray scopes
        && scopes.OfType<JsonObject>().Any(scope => scope[field] is JsonValue v && string.Equals(v.ToString(), value, StringComparison.OrdinalIgnoreCase));
}
