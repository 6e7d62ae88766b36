using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using EventSourced.Broker.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.Osb;

/// <summary>
/// HTTP basic authentication against the configured broker credentials, for every request (401 with a challenge
/// otherwise): OSB, admin, any route added later, and paths that match no route. Only endpoints marked
/// <c>AllowAnonymous</c> (<c>/health/live</c>, <c>/health/ready</c>) are open. A middleware rather than an endpoint filter, so it runs before
/// anything of the request is bound or read: an anonymous caller learns nothing from a 400 on its query or body.
/// </summary>
public sealed class BasicAuthentication(RequestDelegate next, IOptions<BrokerOptions> options)
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes($"{options.Value.Username}:{options.Value.Password}");

    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null || Authenticated(context.Request)) return next(context);
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"broker\"";
        return OsbErrors.Unauthorized().ExecuteAsync(context);
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
