using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using EventSourced.Broker.Tests.Hosting;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>
/// Every route the broker maps but <c>/health/live</c>, <c>/health/ready</c> and the dashboard's instance pages (opened by
/// a signed link instead) and their stylesheet requires the platform's credentials, before anything of the request is
/// read: the routes are taken from the broker's own endpoint data source, so a route added tomorrow is walked too.
/// </summary>
public sealed class RouteAuthenticationTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly string[] WrongCredentials =
    [
        "",
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("platform:wrong")),
        "Basic !!!",
        "Bearer token",
    ];

    [Fact]
    public async Task EveryMappedRoute_WithoutValidCredentials_Returns401BeforeReadingTheRequest()
    {
        var endpoints = MappedEndpoint.Of(fixture.Environment);
        Assert.Contains(endpoints, e => e.ToString() == "PUT /v2/service_instances/{instanceId}");
        Assert.Contains(endpoints, e => e.Template.StartsWith("/admin/"));
        using var anonymous = new HttpClient { BaseAddress = fixture.Broker.BaseAddress };
        var wrong = new List<string>();
        var before = await fixture.Environment.EventCount();

        foreach (var endpoint in endpoints.Where(e => !e.AllowsAnonymous))
        foreach (var authorization in WrongCredentials)
        {
            // Values no binder or validator accepts: a 400 for them would mean the request was looked at before its caller.
            var request = new HttpRequestMessage(new HttpMethod(endpoint.Method),
                endpoint.Path(_ => Guid.NewGuid().ToString()) + "?accepts_incomplete=maybe&operation=x&at=never&version=-1")
            {
                Content = new StringContent("{not json", Encoding.UTF8, "application/json"),
            };
            if (authorization.Length > 0) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            request.Headers.Add("X-Broker-API-Version", "2.17");
            var response = await anonymous.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.Unauthorized || response.Headers.WwwAuthenticate.SingleOrDefault()?.Scheme != "Basic"
                || (string?)JsonNode.Parse(body)?["error"] != "Unauthorized")
                wrong.Add($"{endpoint} with '{authorization}': {(int)response.StatusCode} {body}");
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        Assert.Equal(before, await fixture.Environment.EventCount());
    }

    [Fact]
    public async Task OnlyHealthAndTheSignedPagesAndArchives_AreOpenWithoutCredentials()
    {
        var open = MappedEndpoint.Of(fixture.Environment).Where(e => e.AllowsAnonymous).Select(e => e.ToString());

        Assert.Equal(["GET /api/v1/ops/snapshots/{snapshotId}/archive", "GET /dashboard/dashboard.css", "GET /dashboard/instances/{instanceId}",
            "GET /health/live", "GET /health/ready"], open.Order(StringComparer.Ordinal));
        using var anonymous = new HttpClient { BaseAddress = fixture.Broker.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
        // An instance page without a signed link shows nothing but the refusal.
        var unsigned = await anonymous.GetAsync($"/dashboard/instances/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        Assert.Equal("text/html", unsigned.Content.Headers.ContentType?.MediaType);
        // A snapshot's archive without its signed link: refused, whatever the snapshot.
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync($"/api/v1/ops/snapshots/{Guid.NewGuid()}/archive")).StatusCode);
    }

    /// <summary>Paths and methods that match no route tell an anonymous caller nothing either (no 404 or 405 to map the API by).</summary>
    [Theory]
    [InlineData("GET", "/")]
    [InlineData("GET", "/v2")]
    [InlineData("GET", "/v2/nothing")]
    [InlineData("GET", "/admin")]
    [InlineData("POST", "/v2/catalog")]
    [InlineData("DELETE", "/admin/instances")]
    [InlineData("PUT", "/health/ready")]
    [InlineData("GET", "/health")]
    public async Task UnmappedRouteOrMethod_WithoutCredentials_Returns401(string method, string path)
    {
        using var anonymous = new HttpClient { BaseAddress = fixture.Broker.BaseAddress };

        var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await response.AssertOsbError(HttpStatusCode.Unauthorized, "Unauthorized");
    }
}
