using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Admin;

/// <summary>One broker on the simulated backend (fast, but each step takes a while: events lie apart in time) and one instance provisioned on it.</summary>
public sealed class TimeTravelFixture : IAsyncLifetime
{
    public const string RequestIdentity = "time-travel-request-1";

    public BrokerEnvironment Environment { get; private set; } = null!;
    public BrokerProcess Broker { get; private set; } = null!;
    public Guid InstanceId { get; } = Guid.NewGuid();
    public Guid OperationId { get; private set; }

    public async Task InitializeAsync()
    {
        Environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["Provisioners__Backend"] = "simulated",
            ["Provisioners__Simulated__StepLatency"] = "00:00:00.200",
        });
        Broker = await BrokerProcess.Start(Environment);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/v2/service_instances/{InstanceId}?accepts_incomplete=true")
        {
            Content = JsonContent.Create(ProvisionBody()),
        };
        request.Headers.Add("X-Broker-API-Request-Identity", RequestIdentity);
        OperationId = Guid.Parse(await (await Broker.Client.SendAsync(request)).AcceptedOperation());
        var done = await Broker.Client.PollUntilDone(InstanceId);
        Assert.True(done is (HttpStatusCode.OK, "succeeded", _), $"{done}\n{Broker.Output}");
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (Broker is not null) await Broker.DisposeAsync();
        }
        finally
        {
            if (Environment is not null) await Environment.DisposeAsync();
        }
    }
}

/// <summary><c>GET /admin/instances/{id}/history</c> and <c>GET /admin/instances/{id}?version=|at=</c>: the instance's past, from its stream.</summary>
public sealed class TimeTravelTests(TimeTravelFixture fixture) : IClassFixture<TimeTravelFixture>
{
    private HttpClient Client => fixture.Broker.Client;
    private string InstancePath => $"/admin/instances/{fixture.InstanceId}";

    [Fact]
    public async Task History_ListsTheInstancesEventsInOrder_WithTheirMetadata()
    {
        var history = await History();

        var expected = new[]
        {
            nameof(ServiceInstanceProvisioningRequested), nameof(StorageProvisioned), nameof(ServerProvisioned), nameof(DatabaseProvisioned),
            nameof(ServiceInstanceProvisioned),
        };
        Assert.Equal(expected, history.Select(e => (string?)e["type"]));
        Assert.Equal(Enumerable.Range(1, expected.Length).Select(v => (long)v), history.Select(e => (long)e["version"]!));
        var times = history.Select(e => DateTimeOffset.Parse((string)e["recordedAt"]!, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(times.Order(), times);
        Assert.All(history, e => Assert.Equal(fixture.OperationId, Guid.Parse((string)e["correlationId"]!)));
        Assert.Equal(TimeTravelFixture.RequestIdentity, (string?)history[0]["requestIdentity"]);
        // The sub-provisioners' outcomes name the message that caused them; the request itself was caused by nothing.
        Assert.Null((string?)history[0]["causationId"]);
        Assert.All(history.Skip(1), e => Assert.NotNull((string?)e["causationId"]));
    }

    [Fact]
    public async Task HistoryAndPastStates_HoldNoSecret()
    {
        var state = ServiceInstance.Fold(await fixture.Environment.InstanceEvents(fixture.InstanceId));
        var encrypted = state.Database!.EncryptedAdminPassword;
        var clear = new SecretProtector(fixture.Environment.SecretKey).Unprotect(encrypted);
        Assert.False(string.IsNullOrEmpty(clear));
        var last = (await History()).Count;

        foreach (var path in new[] { $"{InstancePath}/history", $"{InstancePath}?version={last}", $"{InstancePath}?version={last - 1}", InstancePath })
        {
            using var response = await Client.GetAsync(path);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
            // Compared on the parsed strings as well: the serializer escapes '+' of base64 as \u002B in the raw text.
            var strings = Strings(JsonNode.Parse(text)).Append(text).ToList();
            Assert.DoesNotContain(strings, s => s.Contains(clear, StringComparison.Ordinal));
            Assert.DoesNotContain(strings, s => s.Contains(encrypted, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task AsOfVersion_OneIsProvisioning_TheLastIsProvisioned()
    {
        var last = (await History()).Count;

        var first = await (await Client.GetAsync($"{InstancePath}?version=1")).AssertStatus(HttpStatusCode.OK);
        var latest = await (await Client.GetAsync($"{InstancePath}?version={last}")).AssertStatus(HttpStatusCode.OK);

        Assert.Equal("Provisioning", (string?)first["status"]);
        Assert.Equal(1, (long)first["version"]!);
        Assert.Equal(fixture.InstanceId, Guid.Parse((string)first["instanceId"]!));
        Assert.Equal(SmallPlanId, (string?)first["planId"]);
        Assert.Null(first["server"]);
        Assert.Equal("Provisioned", (string?)latest["status"]);
        Assert.Equal(last, (long)latest["version"]!);
        Assert.NotNull(latest["server"]);
    }

    [Fact]
    public async Task AsOfTime_BetweenTwoEvents_ShowsTheStateAfterTheEarlierOne()
    {
        var history = await History();
        var times = history.Select(e => DateTimeOffset.Parse((string)e["recordedAt"]!, CultureInfo.InvariantCulture)).ToList();
        // Between ServerProvisioned (3) and DatabaseProvisioned (4): a server, no database yet.
        var between = times[2] + (times[3] - times[2]) / 2;
        Assert.True(times[2] < between && between < times[3], $"{times[2]:O} … {times[3]:O}");

        var then = await (await Client.GetAsync($"{InstancePath}?at={Rfc3339(between)}")).AssertStatus(HttpStatusCode.OK);
        var afterAll = await (await Client.GetAsync($"{InstancePath}?at={Rfc3339(times[^1].AddSeconds(1))}")).AssertStatus(HttpStatusCode.OK);

        Assert.Equal(3, (long)then["version"]!);
        Assert.Equal("Provisioning", (string?)then["status"]);
        Assert.NotNull(then["server"]);
        Assert.Null((string?)then["database"]);
        Assert.Equal(times[2], DateTimeOffset.Parse((string)then["recordedAt"]!, CultureInfo.InvariantCulture));
        Assert.Equal(history.Count, (long)afterAll["version"]!);
        Assert.Equal("Provisioned", (string?)afterAll["status"]);
    }

    [Fact]
    public async Task AsOfTime_WithAnOffset_MeansTheSameMoment()
    {
        var history = await History();
        var times = history.Select(e => DateTimeOffset.Parse((string)e["recordedAt"]!, CultureInfo.InvariantCulture)).ToList();
        var between = (times[0] + (times[1] - times[0]) / 2).ToOffset(TimeSpan.FromHours(2));

        var response = await Client.GetAsync(
            $"{InstancePath}?at={Uri.EscapeDataString(between.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture))}");

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}\n{Tail(fixture.Broker.Output)}");
        var then = await response.Json();

        Assert.Equal(1, (long)then["version"]!);
    }

    [Theory]
    [InlineData("at=garbage")]
    [InlineData("at=2026-12-01")]
    [InlineData("at=2026-12-01T12:00:00")]
    [InlineData("at=")]
    [InlineData("version=0")]
    [InlineData("version=-1")]
    [InlineData("version=abc")]
    [InlineData("version=")]
    [InlineData("version=1&at=2026-12-01T12:00:00Z")]
    public async Task Instance_MalformedTimeTravel_Returns400WithADescription(string query)
    {
        var response = await Client.GetAsync($"{InstancePath}?{query}");

        await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
    }

    [Fact]
    public async Task AsOfTime_BeforeTheFirstEvent_Returns404()
    {
        var first = DateTimeOffset.Parse((string)(await History())[0]["recordedAt"]!, CultureInfo.InvariantCulture);

        var response = await Client.GetAsync($"{InstancePath}?at={Rfc3339(first.AddMilliseconds(-1))}");

        await response.AssertOsbError(HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task UnknownInstance_HistoryAndPastStates_Return404()
    {
        var unknown = Guid.NewGuid();

        await (await Client.GetAsync($"/admin/instances/{unknown}/history")).AssertOsbError(HttpStatusCode.NotFound, "NotFound");
        await (await Client.GetAsync($"/admin/instances/{unknown}?version=1")).AssertOsbError(HttpStatusCode.NotFound, "NotFound");
        await (await Client.GetAsync($"/admin/instances/{unknown}?at={Rfc3339(DateTimeOffset.UtcNow)}")).AssertOsbError(HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task History_WithoutCredentials_Returns401()
    {
        using var anonymous = new HttpClient { BaseAddress = fixture.Broker.BaseAddress };

        var response = await anonymous.GetAsync($"{InstancePath}/history");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private async Task<List<JsonObject>> History()
    {
        using var response = await Client.GetAsync($"{InstancePath}/history");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsArray().Select(e => e!.AsObject()).ToList();
    }

    /// <summary>The broker's output from its last error on (or its end), for failure messages.</summary>
    private static string Tail(string text)
    {
        var error = text.LastIndexOf("fail:", StringComparison.Ordinal);
        var from = error >= 0 ? error : Math.Max(0, text.Length - 3000);
        return text[from..Math.Min(text.Length, from + 3000)];
    }

    private static string Rfc3339(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value).Append(p.Key)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };
}
