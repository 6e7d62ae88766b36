using System.Net;
using System.Text;
using EventSourced.Broker.Osb;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>X-Broker-API-Originating-Identity (<c>platform base64(json)</c>) and X-Broker-API-Request-Identity against the real broker.</summary>
public sealed class IdentityHeaderTests(SimulatedStepsFixture fixture) : IClassFixture<SimulatedStepsFixture>
{
    private const string OriginatingIdentity = "X-Broker-API-Originating-Identity";
    private static readonly string CloudFoundryUser =
        "cloudfoundry " + Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"user_id": "683ea748-3092-4ff4-b656-39cacc4d5360"}"""));

    public static TheoryData<string> Malformed => new()
    {
        "cloudfoundry",
        Convert.ToBase64String(Encoding.UTF8.GetBytes("{}")),
        "cloudfoundry not-base64!",
        "cloudfoundry " + Convert.ToBase64String(Encoding.UTF8.GetBytes("not json")),
        "cloudfoundry " + Convert.ToBase64String(Encoding.UTF8.GetBytes("""["an array"]""")),
        "cloudfoundry e30= extra",
    };

    private HttpClient Client => fixture.Broker.Client;

    private static HttpRequestMessage WithIdentity(HttpRequestMessage request, string identity)
    {
        request.Headers.TryAddWithoutValidation(OriginatingIdentity, identity);
        return request;
    }

    [Fact]
    public void TryParse_PlatformAndJsonObject()
    {
        Assert.True(Commands.EventStore.OriginatingIdentity.TryParse(CloudFoundryUser, out var identity));
        Assert.Equal("cloudfoundry", identity!.Platform);
        Assert.Equal("683ea748-3092-4ff4-b656-39cacc4d5360", identity.Value.GetProperty("user_id").GetString());
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void TryParse_Malformed_IsRefused(string header) => Assert.False(Commands.EventStore.OriginatingIdentity.TryParse(header, out _));

    [Fact]
    public async Task Catalog_WellFormedOriginatingIdentity_Returns200() =>
        Assert.Equal(HttpStatusCode.OK, (await Client.SendAsync(WithIdentity(new(HttpMethod.Get, "/v2/catalog"), CloudFoundryUser))).StatusCode);

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Catalog_MalformedOriginatingIdentity_Returns400(string header)
    {
        var response = await Client.SendAsync(WithIdentity(new(HttpMethod.Get, "/v2/catalog"), header));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(OriginatingIdentity, (string?)(await response.Json())["description"]);
    }

    [Fact]
    public async Task Provision_MalformedOriginatingIdentity_Returns400_AndAppendsNothing()
    {
        var before = await fixture.Environment.EventCount();
        var request = WithIdentity(new(HttpMethod.Put, $"/v2/service_instances/{Guid.NewGuid()}?accepts_incomplete=true")
        {
            Content = JsonContent(Hosting.Osb.ProvisionBody()),
        }, "cloudfoundry not-base64!");
        Assert.Equal(HttpStatusCode.BadRequest, (await Client.SendAsync(request)).StatusCode);
        Assert.Equal(before, await fixture.Environment.EventCount());
    }

    [Fact]
    public async Task Provision_KeepsTheRawOriginatingIdentityInTheEventMetadata_AndEchoesTheRequestIdentity()
    {
        var instanceId = Guid.NewGuid();
        var requestIdentity = Guid.NewGuid().ToString();
        var request = WithIdentity(new(HttpMethod.Put, $"/v2/service_instances/{instanceId}?accepts_incomplete=true")
        {
            Content = JsonContent(Hosting.Osb.ProvisionBody()),
        }, CloudFoundryUser);
        request.Headers.Add("X-Broker-API-Request-Identity", requestIdentity);

        var response = await Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(requestIdentity, response.Headers.GetValues("X-Broker-API-Request-Identity").Single());
        await using var query = fixture.Environment.Database.DataSource.CreateCommand(
            "SELECT headers->>'originating-identity', headers->>'request-identity' FROM broker.mt_events WHERE stream_id = $1 ORDER BY version LIMIT 1");
        query.Parameters.Add(new() { Value = ServiceInstance.StreamId(instanceId) });
        await using var reader = await query.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(CloudFoundryUser, reader.GetString(0));
        Assert.Equal(requestIdentity, reader.GetString(1));
        // Ended before the test does: work left running would change the event counts its neighbours compare.
        await fixture.AssertEnds(instanceId, HttpStatusCode.OK, "succeeded");
    }

    private static HttpContent JsonContent(object body) => System.Net.Http.Json.JsonContent.Create(body);
}
