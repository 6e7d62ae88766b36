using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using EventSourced.Broker.Hosting;
using EventSourced.Broker.Ops;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.Osb;

/// <summary>
/// HTTP basic authentication against the configured broker credentials, for every request (401 with a challenge
/// otherwise): OSB, admin, any route added later, and paths that match no route. Paths under <see cref="OpsApi.Prefix"/>
/// take the ops credentials instead, and only them: neither pair opens the other's API. Only endpoints marked
/// <c>AllowAnonymous</c> (<c>/health/live</c>, <c>/health/ready</c>) are open. A middleware rather than an endpoint filter, so it runs before
/// anything of the request is bound or read: an anonymous caller learns nothing from a 400 on its query or body.
/// </summary>
public sealed class BasicAuthentication(RequestDelegate next, IOptions<BrokerOptions> options, IOptions<OpsOptions> ops)
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes($"{options.Value.Username}:{options.Value.Password}");

    // A node without the ops pair (no api role) opens /api/v1 to nobody, not to an empty user name and password.
    private readonly byte[]? _ops = string.IsNullOrEmpty(ops.Value.Username) || string.IsNullOrEmpty(ops.Value.Password)
        ? null
        : Encoding.UTF8.GetBytes($"{ops.Value.Username}:{ops.Value.Password}");

    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null) return next(context);
        if (OpsApi.Covers(context.Request.Path))
        {
            if (Authenticated(context.Request, _ops)) return next(context);
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"ops\"";
            return OpsErrors.Unauthorized().ExecuteAsync(context);
        }
        if (Authenticated(context.Request, _expected)) return next(context);
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"broker\"";
        return OsbErrors.Unauthorized().ExecuteAsync(context);
    }

    private static bool Authenticated(HttpRequest request, byte[]? expected)
    {
        if (expected is null || !AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !"Basic".Equals(header.Scheme, StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
            return false;
        try
        {
            return CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(header.Parameter), expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
