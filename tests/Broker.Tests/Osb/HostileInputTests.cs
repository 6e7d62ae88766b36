using System.Net;
using System.Text;
using EventSourced.Broker.Tests.Hosting;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>Input a platform should never send gets a clear 400 and appends nothing, never a 500.</summary>
public sealed class HostileInputTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly string Service = $"\"service_id\":\"{Hosting.Osb.ServiceId}\"";
    private static readonly string Plan = $"\"plan_id\":\"{Hosting.Osb.SmallPlanId}\"";

    public static TheoryData<string> DuplicateKeys => new()
    {
        "{" + Service + "," + Plan + ",\"plan_id\":\"" + Hosting.Osb.LargePlanId + "\",\"organization_guid\":\"o\",\"space_guid\":\"s\"}",
        "{" + Service + "," + Plan + ""","organization_guid":"o","space_guid":"s","parameters":{"max_connections":10,"max_connections":20}}""",
        "{" + Service + "," + Plan + ""","organization_guid":"o","space_guid":"s","context":{"platform":"a","x":{"y":1,"y":2}}}""",
    };

    [Theory]
    [MemberData(nameof(DuplicateKeys))]
    public async Task Provision_BodyWithDuplicateKeys_Returns400AndAppendsNothing(string body)
    {
        var before = await fixture.Environment.EventCount();

        var response = await Send(HttpMethod.Put, $"/v2/service_instances/{Guid.NewGuid()}?accepts_incomplete=true", body);

        var error = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains("duplicate", (string?)error["description"], StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, await fixture.Environment.EventCount());
    }

    [Fact]
    public async Task Update_ParametersWithDuplicateKeys_Returns400AndAppendsNothing()
    {
        var before = await fixture.Environment.EventCount();

        var response = await Send(HttpMethod.Patch, $"/v2/service_instances/{Guid.NewGuid()}?accepts_incomplete=true",
            "{" + Service + ""","parameters":{"max_connections":10,"max_connections":20}}""");

        await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Equal(before, await fixture.Environment.EventCount());
    }

    [Theory]
    [InlineData("café")]
    [InlineData("id\u0001with-control")]
    [InlineData("日本語")]
    public async Task AnyRoute_NonAsciiRequestIdentity_Returns400AndAppendsNothing(string identity)
    {
        var before = await fixture.Environment.EventCount();
        using var client = Utf8HeaderClient();
        var request = new HttpRequestMessage(HttpMethod.Put, $"/v2/service_instances/{Guid.NewGuid()}?accepts_incomplete=true")
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(Hosting.Osb.ProvisionBody()), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("X-Broker-API-Request-Identity", identity);

        var response = await client.SendAsync(request);

        await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.False(response.Headers.Contains("X-Broker-API-Request-Identity"));
        Assert.Equal(before, await fixture.Environment.EventCount());
    }

    private Task<HttpResponseMessage> Send(HttpMethod method, string path, string body) =>
        fixture.Broker.Client.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") });

    /// <summary>A client that sends header values as UTF-8 (HttpClient refuses non-ASCII by default), with the broker's credentials.</summary>
    private HttpClient Utf8HeaderClient()
    {
        var client = new HttpClient(new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 })
        {
            BaseAddress = fixture.Broker.BaseAddress,
        };
        foreach (var header in fixture.Broker.Client.DefaultRequestHeaders) client.DefaultRequestHeaders.TryAddWithoutValidation(header.Key, header.Value);
        return client;
    }
}
