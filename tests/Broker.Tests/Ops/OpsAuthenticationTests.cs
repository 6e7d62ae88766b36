using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;

namespace EventSourced.Broker.Tests.Ops;

/// <summary>
/// The ops API's credentials and the platforms' open one API each: every route of the broker, read from its endpoint data
/// source (a route added tomorrow is walked too), refuses the other pair before anything of the request is read.
/// </summary>
public sealed class OpsAuthenticationTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task EveryOpsRoute_WithThePlatformsCredentials_Returns401()
    {
        var mapped = MappedEndpoint.Of(fixture.Environment).Where(e => e.Template.StartsWith("/api/v1/")).ToList();
        // The one route open without credentials: a snapshot's archive, for its signed, expiring link (SnapshotTests).
        Assert.Equal(["GET /api/v1/ops/snapshots/{snapshotId}/archive"], mapped.Where(e => e.AllowsAnonymous).Select(e => e.ToString()));
        var ops = mapped.Where(e => !e.AllowsAnonymous).ToList();
        Assert.Contains(ops, e => e.ToString() == "POST /api/v1/ops/provision");
        Assert.Contains(ops, e => e.ToString() == "GET /api/v1/openapi.json");

        var wrong = await Refusals(ops, fixture.Environment.Username, fixture.Environment.Password);

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public async Task EveryOtherRoute_WithTheOpsCredentials_Returns401()
    {
        var others = MappedEndpoint.Of(fixture.Environment).Where(e => !e.Template.StartsWith("/api/v1/") && !e.AllowsAnonymous).ToList();
        Assert.Contains(others, e => e.ToString() == "PUT /v2/service_instances/{instanceId}");
        Assert.Contains(others, e => e.Template.StartsWith("/admin/"));

        var wrong = await Refusals(others, fixture.Environment.OpsUsername, fixture.Environment.OpsPassword);

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public async Task Status_WithTheOpsCredentials_Returns200()
    {
        var response = await fixture.Broker.OpsClient.GetAsync("/api/v1/ops/status");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("api,worker,projector", (string?)(await response.Json())["roles"]);
    }

    [Fact]
    public async Task UnmappedOpsPath_WithThePlatformsCredentials_Returns401()
    {
        var response = await fixture.Broker.Client.GetAsync("/api/v1/nothing");

        await response.AssertOsbError(HttpStatusCode.Unauthorized, "Unauthorized");
        Assert.Equal("Basic realm=\"ops\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("same-as-the-platforms")]
    public async Task MissingOrSharedOpsCredentials_BrokerRefusesToStart(string password)
    {
        await using var environment = await BrokerEnvironment.Create();
        var refusal = password.Length == 0
            ? new Dictionary<string, string> { ["Ops__Password"] = "" }
            : new Dictionary<string, string> { ["Ops__Username"] = environment.Username, ["Ops__Password"] = environment.Password };

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => BrokerProcess.Start(environment, refusal));

        Assert.StartsWith("The broker exited with ", refused.Message);
        Assert.Contains(password.Length == 0 ? "set Ops__Username and Ops__Password" : "give the ops API credentials of its own", refused.Message);
    }

    /// <summary>Each endpoint called with values no binder accepts: anything but a 401 means the request was looked at first.</summary>
    private async Task<List<string>> Refusals(IEnumerable<MappedEndpoint> endpoints, string username, string password)
    {
        using var client = new HttpClient { BaseAddress = fixture.Broker.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var before = await fixture.Environment.EventCount();
        var wrong = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), endpoint.Path(_ => Guid.NewGuid().ToString()) + "?limit=x")
            {
                Content = new StringContent("{not json", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
            request.Headers.Add("X-Broker-API-Version", "2.17");
            var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.Unauthorized || response.Headers.WwwAuthenticate.SingleOrDefault()?.Scheme != "Basic"
                || (string?)JsonNode.Parse(body)?["error"] != "Unauthorized")
                wrong.Add($"{endpoint}: {(int)response.StatusCode} {body}");
        }
        Assert.Equal(before, await fixture.Environment.EventCount());
        return wrong;
    }
}
