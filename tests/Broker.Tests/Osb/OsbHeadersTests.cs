using EventSourced.Commands.EventStore;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>What every OSB request carries: basic auth, the API version, and the platform's identities.</summary>
public sealed class OsbHeadersTests(SimulatedStepsFixture fixture) : IClassFixture<SimulatedStepsFixture>
{
    [Fact]
    public async Task Request_WithoutCredentials_Returns401WithChallenge()
    {
        var response = await fixture.Refused(_ => Send(Provision(), authorization: null));

        await response.AssertOsbError(HttpStatusCode.Unauthorized, "Unauthorized");
        Assert.Equal("Basic", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
    }

    [Fact]
    public async Task Request_WithWrongPassword_Returns401()
    {
        var response = await fixture.Refused(_ => Send(Provision(), authorization: Basic("wrong")));

        await response.AssertOsbError(HttpStatusCode.Unauthorized, "Unauthorized");
    }

    [Fact]
    public async Task Request_WithoutApiVersion_Returns412()
    {
        var response = await fixture.Refused(_ => Send(Provision(), apiVersion: null));

        var body = await response.AssertOsbError(HttpStatusCode.PreconditionFailed, "PreconditionFailed");
        Assert.Contains("X-Broker-API-Version", (string?)body["description"]);
    }

    [Fact]
    public async Task Request_WithApiVersion212_Returns412()
    {
        var response = await fixture.Refused(_ => Send(Provision(), apiVersion: "2.12"));

        var body = await response.AssertOsbError(HttpStatusCode.PreconditionFailed, "PreconditionFailed");
        Assert.Contains("2.12", (string?)body["description"]);
    }

    [Fact]
    public async Task Request_WithApiVersion213_IsAccepted()
    {
        var response = await Send(new HttpRequestMessage(HttpMethod.Get, "/v2/catalog"), apiVersion: "2.13");

        var body = await response.AssertStatus(HttpStatusCode.OK);
        Assert.NotEmpty(body["services"]!.AsArray());
    }

    [Fact]
    public async Task Request_WithRequestIdentity_EchoesItInTheResponse()
    {
        var identity = Guid.NewGuid().ToString();
        var request = new HttpRequestMessage(HttpMethod.Get, "/v2/catalog");
        request.Headers.Add("X-Broker-API-Request-Identity", identity);

        var response = await Send(request);

        await response.AssertStatus(HttpStatusCode.OK);
        Assert.Equal([identity], response.Headers.GetValues("X-Broker-API-Request-Identity"));
    }

    [Fact]
    public async Task Provision_WithOriginatingIdentity_StoresItInTheEventMetadata()
    {
        var instanceId = Guid.NewGuid();
        var originatingIdentity = $"cloudfoundry {Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"user_id":"u1"}"""))}";
        var requestIdentity = Guid.NewGuid().ToString();
        var request = Provision(instanceId);
        request.Headers.Add("X-Broker-API-Originating-Identity", originatingIdentity);
        request.Headers.Add("X-Broker-API-Request-Identity", requestIdentity);

        await (await Send(request)).AcceptedOperation();

        var requested = (await fixture.Stream(instanceId))[0];
        Assert.IsType<ServiceInstanceProvisioningRequested>(requested.Data);
        Assert.Equal(originatingIdentity, EventMetadata.Of(requested).OriginatingIdentity);
        Assert.Equal(requestIdentity, EventMetadata.Of(requested).RequestIdentity);
        await fixture.AssertEnds(instanceId, HttpStatusCode.OK, "succeeded");
    }

    private static HttpRequestMessage Provision(Guid? instanceId = null) =>
        new(HttpMethod.Put, $"/v2/service_instances/{instanceId ?? Guid.NewGuid()}?accepts_incomplete=true")
        {
            Content = JsonContent.Create(ProvisionBody()),
        };

    private AuthenticationHeaderValue Basic(string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{fixture.Environment.Username}:{password}")));

    /// <summary>Sends with exactly the headers given: the fixture's credentials and version 2.17 unless told otherwise.</summary>
    private async Task<HttpResponseMessage> Send(HttpRequestMessage request, string? apiVersion = "2.17") =>
        await Send(request, Basic(fixture.Environment.Password), apiVersion);

    private async Task<HttpResponseMessage> Send(HttpRequestMessage request, AuthenticationHeaderValue? authorization, string? apiVersion = "2.17")
    {
        using var client = new HttpClient { BaseAddress = fixture.Broker.BaseAddress };
        request.Headers.Authorization = authorization;
        if (apiVersion is not null) request.Headers.Add("X-Broker-API-Version", apiVersion);
        return await client.SendAsync(request);
    }
}
