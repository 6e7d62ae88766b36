using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using EventSourced.Broker.Hosting;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.Osb;

/// <summary>HTTP basic authentication against the configured broker credentials (401 with a challenge otherwise).</summary>
public sealed class BasicAuthentication(IOptions<BrokerOptions> options) : IEndpointFilter
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes($"{options.Value.Username}:{options.Value.Password}");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (Authenticated(context.HttpContext.Request)) return await next(context);
        context.HttpContext.Response.Headers.WWWAuthenticate = "Basic realm=\"broker\"";
        return OsbErrors.Unauthorized();
    }

    private bool Authenticated(HttpRequest request)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !"Basic".Equals(header.Scheme, StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
            return false;
        try
        {
            return CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(header.Parameter), _expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
