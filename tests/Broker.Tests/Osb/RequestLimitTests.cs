using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EventSourced.Broker.Tests.Fuzz;
using EventSourced.Broker.Tests.Hosting;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>
/// How much a request may carry, at the documented defaults: a body over <c>Broker__MaxRequestBodyBytes</c> (1 MiB) is an
/// OSB 413 whether it says its length or comes chunked, on any route, and appends nothing; headers over
/// <c>Broker__MaxRequestHeadersTotalBytes</c> (32 KiB) are Kestrel's 431.
/// </summary>
public sealed class RequestLimitTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private const int Limit = 1024 * 1024;

    /// <summary>
    /// Refused from its Content-Length, before the body is read; or, chunked, as soon as it passes the limit. The answer
    /// comes while the client may still be sending: read over a raw connection, as HttpClient gives up on the broken
    /// pipe before it reads the answer.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Provision_BodyOverTheLimit_Returns413AndAppendsNothing(bool chunked)
    {
        var body = Padded(Hosting.Osb.ProvisionBody(), Limit + 1);
        var requestLine = $"PUT /v2/service_instances/{Guid.NewGuid()}?accepts_incomplete=true";
        var before = await fixture.Environment.EventCount();

        var (status, answer, error) = await RawHttp.Send(fixture.Broker.BaseAddress.Port,
            chunked ? Chunked(requestLine, body) : WithLength(requestLine, body), endsEarly: false, TimeSpan.FromSeconds(30));

        Assert.True(status == 413 && answer.Contains("\"error\":\"PayloadTooLarge\"") && answer.Contains("Broker__MaxRequestBodyBytes"),
            $"{status} {error}: {answer}");
        Assert.Equal(before, await fixture.Environment.EventCount());
    }

    /// <summary>A client that asks first (Expect: 100-continue, as HttpClient can) gets the 413 without sending the body.</summary>
    [Fact]
    public async Task Provision_BodyOverTheLimitWithExpectContinue_Returns413()
    {
        var request = Provision(Guid.NewGuid(), Padded(Hosting.Osb.ProvisionBody(), Limit + 1), chunked: false);
        request.Headers.ExpectContinue = true;

        var response = await fixture.Refused(client => client.SendAsync(request));

        await response.AssertOsbError(HttpStatusCode.RequestEntityTooLarge, "PayloadTooLarge");
    }

    /// <summary>
    /// A chunked body far over the limit is cut off where it passes it, not read to its end: the answer comes while the
    /// client is still sending (HttpClient gives up on the broken pipe before it reads it, hence the raw connection).
    /// </summary>
    [Fact]
    public async Task Bind_ChunkedBodyFarOverTheLimit_Returns413WhileItIsStillSent()
    {
        var body = Padded(new { service_id = Hosting.Osb.ServiceId, plan_id = Hosting.Osb.SmallPlanId }, 8 * Limit);
        var before = await fixture.Environment.EventCount();

        var (status, answer, error) = await RawHttp.Send(fixture.Broker.BaseAddress.Port,
            Chunked($"PUT /v2/service_instances/{Guid.NewGuid()}/service_bindings/{Guid.NewGuid()}", body), endsEarly: false, TimeSpan.FromSeconds(30));

        Assert.True(status == 413 && answer.Contains("\"error\":\"PayloadTooLarge\""), $"{status} {error}: {answer}");
        Assert.Equal(before, await fixture.Environment.EventCount());
    }

    /// <summary>The limit itself is allowed: the body is read (and refused for what it says, an unknown plan).</summary>
    [Fact]
    public async Task Provision_BodyOfExactlyTheLimit_IsRead()
    {
        var body = Padded(Hosting.Osb.ProvisionBody(planId: "no-such-plan"), Limit);

        var response = await fixture.Refused(client => client.SendAsync(Provision(Guid.NewGuid(), body, chunked: false)));

        var error = await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains("no-such-plan", (string?)error["description"]);
    }

    /// <summary>Chunked, Kestrel counts the chunks' framing too (a few bytes each): a body just under the limit is read.</summary>
    [Fact]
    public async Task Provision_ChunkedBodyJustUnderTheLimit_IsRead()
    {
        var body = Padded(Hosting.Osb.ProvisionBody(planId: "no-such-plan"), Limit - 1024);
        var before = await fixture.Environment.EventCount();

        var (status, answer, error) = await RawHttp.Send(fixture.Broker.BaseAddress.Port,
            Chunked($"PUT /v2/service_instances/{Guid.NewGuid()}?accepts_incomplete=true", body), endsEarly: false, TimeSpan.FromSeconds(30));

        Assert.True(status == 400 && answer.Contains("no-such-plan"), $"{status} {error}: {answer}");
        Assert.Equal(before, await fixture.Environment.EventCount());
    }

    /// <summary>
    /// Over a raw connection too: the 413 can come before the body is all sent, and HttpClient then fails on the broken
    /// pipe (seen in CI) instead of reading it.
    /// </summary>
    [Fact]
    public async Task Catalog_BodyOverTheLimit_Returns413EvenThoughItReadsNoBody()
    {
        var (status, answer, error) = await RawHttp.Send(fixture.Broker.BaseAddress.Port,
            WithLength("GET /v2/catalog", new byte[Limit + 1]), endsEarly: false, TimeSpan.FromSeconds(30));

        Assert.True(status == 413 && answer.Contains("\"error\":\"PayloadTooLarge\""), $"{status} {error}: {answer}");
    }

    [Fact]
    public async Task Request_HeadersOverTheLimit_Returns431AndAppendsNothing()
    {
        var request = Provision(Guid.NewGuid(), JsonSerializer.SerializeToUtf8Bytes(Hosting.Osb.ProvisionBody()), chunked: false);
        request.Headers.Add("X-Padding", new string('h', 33 * 1024));

        var response = await fixture.Refused(client => client.SendAsync(request));

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    /// <summary>Kestrel reports a chunk size that overflows as a plain IOException, which reached the platform as a 500.</summary>
    [Fact]
    public async Task Provision_ChunkSizeThatOverflows_Returns400AndAppendsNothing()
    {
        var body = JsonSerializer.Serialize(Hosting.Osb.ProvisionBody());
        var request = $"PUT /v2/service_instances/{Guid.NewGuid()}?accepts_incomplete=true HTTP/1.1\r\nHost: x\r\n" +
                      $"Authorization: {fixture.Broker.Client.DefaultRequestHeaders.Authorization}\r\nX-Broker-API-Version: 2.17\r\n" +
                      $"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nffffffffffffffffffff\r\n{body}\r\n0\r\n\r\n";
        var before = await fixture.Environment.EventCount();

        var (status, answer, error) = await RawHttp.Send(fixture.Broker.BaseAddress.Port, Encoding.ASCII.GetBytes(request), endsEarly: false, TimeSpan.FromSeconds(30));

        Assert.True(status == 400, $"{status} {error}: {answer}");
        Assert.Equal(before, await fixture.Environment.EventCount());
    }

    private static HttpRequestMessage Provision(Guid instanceId, byte[] body, bool chunked)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/v2/service_instances/{instanceId}?accepts_incomplete=true")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        request.Headers.TransferEncodingChunked = chunked;
        return request;
    }

    private byte[] WithLength(string requestLine, byte[] body) =>
        [.. Encoding.ASCII.GetBytes($"{requestLine} HTTP/1.1\r\nHost: x\r\nAuthorization: {fixture.Broker.Client.DefaultRequestHeaders.Authorization}\r\n" +
                                    $"X-Broker-API-Version: 2.17\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), .. body];

    /// <summary>The request as bytes with the body in chunks of 64 KiB (Transfer-Encoding: chunked, no Content-Length).</summary>
    private byte[] Chunked(string requestLine, byte[] body)
    {
        var wire = new MemoryStream();
        wire.Write(Encoding.ASCII.GetBytes($"{requestLine} HTTP/1.1\r\nHost: x\r\nAuthorization: {fixture.Broker.Client.DefaultRequestHeaders.Authorization}\r\n" +
                                           "X-Broker-API-Version: 2.17\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"));
        foreach (var chunk in body.Chunk(64 * 1024))
        {
            wire.Write(Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n"));
            wire.Write(chunk);
            wire.Write("\r\n"u8);
        }
        wire.Write("0\r\n\r\n"u8);
        return wire.ToArray();
    }

    /// <summary>The body as JSON, padded with trailing spaces (still valid JSON) to exactly <paramref name="size"/> bytes.</summary>
    private static byte[] Padded(object body, int size)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(body);
        var padded = new byte[size];
        Array.Fill(padded, (byte)' ');
        json.CopyTo(padded, 0);
        return padded;
    }
}
