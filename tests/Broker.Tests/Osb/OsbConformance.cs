using JasperFx.Events;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>What the conformance tests need beyond the platform's calls: raw requests, OSB error checks, the stream.</summary>
internal static class OsbConformance
{
    public static Task<HttpResponseMessage> PutJson(this HttpClient client, string instanceId, string json, string query = "accepts_incomplete=true") =>
        client.PutAsync($"/v2/service_instances/{instanceId}?{query}", new StringContent(json, Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> LastOperation(this HttpClient client, Guid instanceId, string operation) =>
        client.GetAsync($"/v2/service_instances/{instanceId}/last_operation?operation={Uri.EscapeDataString(operation)}");

    /// <summary>Runs a request that must be refused, and proves the refusal appended nothing to the log.</summary>
    public static Task<HttpResponseMessage> Refused(this BrokerFixture fixture, Func<HttpClient, Task<HttpResponseMessage>> request) =>
        fixture.Environment.Refused(fixture.Broker.Client, request);

    /// <summary>
    /// As <see cref="Refused"/>, beside an operation still running: its sub-provisioners keep appending outcomes, each
    /// naming the message that caused it, so the refusal is checked on the events nothing caused but a request.
    /// </summary>
    public static async Task<HttpResponseMessage> RefusedWhileRunning(this BrokerFixture fixture, Func<HttpClient, Task<HttpResponseMessage>> request)
    {
        var before = await RequestedEventCount(fixture);
        var response = await request(fixture.Broker.Client);
        Assert.Equal(before, await RequestedEventCount(fixture));
        return response;
    }

    private static async Task<long> RequestedEventCount(BrokerFixture fixture)
    {
        const string sql = "SELECT count(*) FROM broker.mt_events WHERE causation_id IS NULL AND type <> 'tombstone'";
        await using var command = fixture.Environment.Database.DataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Asserts the status and the OSB error body <c>{error, description}</c>, its error code being <paramref name="error"/>
    /// (null: the body has none); returns the body for more checks.
    /// </summary>
    public static async Task<JsonObject> AssertOsbError(this HttpResponseMessage response, HttpStatusCode status, string? error)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        var body = JsonNode.Parse(text)!.AsObject();
        // No expected error code means none may be sent (OSB defines codes for a few cases only), not "anything goes".
        Assert.True(error == (string?)body["error"], $"expected error {(error is null ? "absent" : $"'{error}'")}: {text}");
        Assert.False(string.IsNullOrWhiteSpace((string?)body["description"]), text);
        return body;
    }

    public static async Task<JsonObject> AssertStatus(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<string> AcceptedOperation(this HttpResponseMessage response)
    {
        var operation = (string?)(await response.AssertStatus(HttpStatusCode.Accepted))["operation"];
        Assert.True(Guid.TryParse(operation, out _), $"operation '{operation}' is not a GUID");
        return operation!;
    }

    /// <summary>Polls until the operation ends and requires the expected outcome, so no test leaves work running behind it.</summary>
    public static async Task AssertEnds(this BrokerFixture fixture, Guid instanceId, HttpStatusCode status, string? state)
    {
        var done = await fixture.Broker.Client.PollUntilDone(instanceId, details: () => fixture.Broker.Output);
        Assert.True(done.Status == status && done.State == state, $"{done}\n{fixture.Broker.Output}");
    }

    /// <summary>
    /// A generated secret appears nowhere the broker keeps or shows things: no row of any table in its schema, and not
    /// its log output (everything the broker process wrote so far, at the Information level the tests run it with).
    /// </summary>
    public static async Task AssertSecretNowhere(this BrokerFixture fixture, string secret)
    {
        Assert.True(secret.Length >= 8, $"'{secret}' is too short to look for");
        Assert.Equal(0, await fixture.Environment.CountOccurrences(secret));
        var output = fixture.Broker.Output;
        Assert.False(string.IsNullOrWhiteSpace(output), "the broker's output was not captured");
        var at = output.IndexOf(secret, StringComparison.Ordinal);
        Assert.True(at < 0, $"the secret is in the broker's output: …{output[Math.Max(0, at - 200)..Math.Min(output.Length, at + secret.Length + 50)]}…");
    }

    public static Task<IReadOnlyList<IEvent>> Stream(this BrokerFixture fixture, Guid instanceId) =>
        fixture.Environment.Stream(ServiceInstance.StreamId(instanceId));
}

/// <summary>One broker and one instance provisioned on it up front, shared (in turn) by the tests of a class.</summary>
public sealed class ProvisionedInstanceFixture : IAsyncLifetime
{
    public BrokerFixture Broker { get; } = new();
    public Guid InstanceId { get; } = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        await Broker.InitializeAsync();
        await (await Broker.Broker.Client.Provision(InstanceId)).AcceptedOperation();
        await Broker.AssertEnds(InstanceId, HttpStatusCode.OK, "succeeded");
    }

    public Task DisposeAsync() => Broker.DisposeAsync();

    public async Task<ServiceInstance> State() =>
        ServiceInstance.Fold(await Broker.Environment.InstanceEvents(InstanceId));

    /// <summary>The instance's database owner, as ProvisioningEndToEndTests reaches it.</summary>
    public Task<string> AdminConnectionString() => Broker.Environment.AdminConnectionString(InstanceId);

    /// <summary>A secret is in no table of the broker's schema and not in its output.</summary>
    public Task AssertSecretNowhere(string secret) => Broker.AssertSecretNowhere(secret);
}
