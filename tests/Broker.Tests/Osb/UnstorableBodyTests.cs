using System.Net;
using System.Text;
using EventSourced.Broker.Tests.Hosting;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>
/// Bodies the broker could not keep as they are: U+0000 in any string (PostgreSQL's text and jsonb refuse it, so an
/// accepted request failed at the append with a 500) and a <c>context</c> or <c>parameters</c> that is not an object
/// (OSB defines both as objects). Each is a 400 that appends nothing.
/// </summary>
public sealed class UnstorableBodyTests(SimulatedInstanceFixture fixture) : IClassFixture<SimulatedInstanceFixture>
{
    private static readonly string Service = $"\"service_id\":\"{Hosting.Osb.ServiceId}\"";
    private static readonly string Plan = $"\"plan_id\":\"{Hosting.Osb.SmallPlanId}\"";

    public static TheoryData<string> ProvisionBodies => new()
    {
        "{" + Service + "," + Plan + """,  "organization_guid":"\u0000","space_guid":"s"}""",
        "{" + Service + "," + Plan + """,  "organization_guid":"o","space_guid":"a\u0000b"}""",
        "{" + Service + "," + Plan + """,  "organization_guid":"o","space_guid":"s","context":{"platform":"cf","x":"\u0000"}}""",
        "{" + Service + "," + Plan + """,  "organization_guid":"o","space_guid":"s","context":{"\u0000":1}}""",
        "{" + Service + "," + Plan + """,  "organization_guid":"o","space_guid":"s","context":[1,2]}""",
        "{" + Service + "," + Plan + """,  "organization_guid":"o","space_guid":"s","context":"cloudfoundry"}""",
    };

    [Theory]
    [MemberData(nameof(ProvisionBodies))]
    public async Task Provision_UnstorableBody_Returns400AndAppendsNothing(string body)
    {
        var response = await fixture.Refused(client => Send(client, HttpMethod.Put, $"/v2/service_instances/{Guid.NewGuid()}?accepts_incomplete=true", body));

        await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
    }

    [Theory]
    [InlineData("""{"platform":"cf","x":"\u0000"}""")]
    [InlineData("""{"platform":"cf","nested":{"\u0000":true}}""")]
    [InlineData("[1,2]")]
    [InlineData("42")]
    public async Task Update_UnstorableContext_Returns400AndAppendsNothing(string context)
    {
        var response = await fixture.Refused(client => Send(client, HttpMethod.Patch,
            $"/v2/service_instances/{fixture.InstanceId}?accepts_incomplete=true", "{" + Service + ",\"context\":" + context + "}"));

        await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
    }

    [Theory]
    [InlineData("\"app_guid\":\"\\u0000\"")]
    [InlineData("\"app_guid\":\"app\",\"context\":{\"x\":\"\\u0000\"}")]
    [InlineData("\"app_guid\":\"app\",\"context\":\"cloudfoundry\"")]
    [InlineData("\"app_guid\":\"app\",\"bind_resource\":{\"route\":\"a\\u0000b\"}")]
    public async Task Bind_UnstorableBody_Returns400AndAppendsNothing(string fields)
    {
        var response = await fixture.Refused(client => Send(client, HttpMethod.Put,
            $"/v2/service_instances/{fixture.InstanceId}/service_bindings/{Guid.NewGuid()}?accepts_incomplete=true", "{" + Service + "," + Plan + "," + fields + "}"));

        await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
    }

    /// <summary>Bytes that are not UTF-8 inside strings of parameters and context: the schema validation and GetRawText threw on them.</summary>
    [Theory]
    [InlineData("parameters", "{\"max_connections\":100,\"\xc3(\":1}")]
    [InlineData("parameters", "{\"max_connections\":\"\xff\xfe\"}")]
    [InlineData("context", "{\"platform\":\"\xc0\xaf\"}")]
    [InlineData("context", "{\"\xed\xa0\x80\":1}")]
    public async Task Provision_InvalidUtf8InAnObject_Returns400AndAppendsNothing(string field, string value)
    {
        var body = Encoding.Latin1.GetBytes("{" + Service + "," + Plan + ",\"organization_guid\":\"o\",\"space_guid\":\"s\",\"" + field + "\":" + value + "}");

        var response = await fixture.Refused(client => client.PutAsync($"/v2/service_instances/{Guid.NewGuid()}?accepts_incomplete=true",
            new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } }));

        await response.AssertOsbError(HttpStatusCode.BadRequest, "BadRequest");
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string path, string body) =>
        client.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
}
