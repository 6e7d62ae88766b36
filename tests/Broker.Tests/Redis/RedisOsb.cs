using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Provisioners.Backends.Local.Redis;

namespace EventSourced.Broker.Tests.Redis;

/// <summary>The Redis offering on the wire (the <c>redis</c> stanza of appsettings.json), and an app talking to its server.</summary>
internal static class RedisOsb
{
    public const string ServiceId = "5c0d8a2e-4b1f-4e6a-9a57-7d3e2f1b9c01";
    public const string PlanId = "5c0d8a2e-4b1f-4e6a-9a57-7d3e2f1b9c11";

    /// <summary>The broker's settings that turn the Redis provisioner on.</summary>
    public static Dictionary<string, string> Enabled() => new() { ["Provisioners__Definitions__redis__Enabled"] = "true" };

    public static Task<HttpResponseMessage> ProvisionRedis(this HttpClient client, Guid instanceId, object? parameters = null) =>
        client.PutAsJsonAsync($"/v2/service_instances/{instanceId}?accepts_incomplete=true",
            new { service_id = ServiceId, plan_id = PlanId, organization_guid = "org-guid", space_guid = "space-guid", parameters });

    public static Task<HttpResponseMessage> DeprovisionRedis(this HttpClient client, Guid instanceId) =>
        client.DeleteAsync($"/v2/service_instances/{instanceId}?accepts_incomplete=true&service_id={ServiceId}&plan_id={PlanId}");

    /// <summary>A synchronous bind: the answer carries the credentials.</summary>
    public static async Task<JsonObject> BindRedis(this HttpClient client, Guid instanceId, Guid bindingId)
    {
        var response = await client.PutAsJsonAsync($"/v2/service_instances/{instanceId}/service_bindings/{bindingId}",
            new { service_id = ServiceId, plan_id = PlanId, app_guid = "app-guid", bind_resource = new { app_guid = "app-guid" } });
        return (await response.AssertStatus(HttpStatusCode.Created))["credentials"]!.AsObject();
    }

    public static async Task UnbindRedis(this HttpClient client, Guid instanceId, Guid bindingId) =>
        await (await client.DeleteAsync($"/v2/service_instances/{instanceId}/service_bindings/{bindingId}?service_id={ServiceId}&plan_id={PlanId}"))
            .AssertStatus(HttpStatusCode.OK);

    /// <summary>One command on a fresh connection, after AUTH with the given user (none: no AUTH at all); the reply of AUTH when it is refused.</summary>
    public static async Task<object?> Run(int port, (string User, string Password)? login, params string[] command)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var client = await RespClient.Connect("127.0.0.1", port, timeout.Token);
        if (login is { } l && await client.Send(timeout.Token, "AUTH", l.User, l.Password) is RespError refused) return refused;
        return await client.Send(timeout.Token, command);
    }
}
