using System.Text;
using System.Text.Json;
using EventSourced.Broker.Osb;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>
/// The polling answer's source-generated serializer writes, byte for byte, what the reflection-based serializer wrote for
/// the anonymous object it replaced (ASP.NET Core's web defaults), whatever the description holds.
/// </summary>
public sealed class OperationStateBodyTests
{
    [Theory]
    [InlineData("in progress", null)]
    [InlineData("succeeded", "Provisioned on host-1.")]
    [InlineData("in progress", "Step 3/8: \"create role\" <waiting> & naïve café 日本 \u2028")]
    public async Task ToResult_AnyDescription_WritesTheBytesTheAnonymousObjectGave(string state, string? description)
    {
        var expected = JsonSerializer.Serialize(new { state, description }, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        var body = new MemoryStream();
        context.Response.Body = body;

        await new OperationStateBody(state, description).ToResult().ExecuteAsync(context);

        Assert.Equal(expected, Encoding.UTF8.GetString(body.ToArray()));
        Assert.Equal(200, context.Response.StatusCode);
        Assert.StartsWith("application/json", context.Response.ContentType);
    }
}
