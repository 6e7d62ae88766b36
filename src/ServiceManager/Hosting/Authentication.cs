using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using EventSourced.ServiceManager.Platforms;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace EventSourced.ServiceManager.Hosting;

/// <summary>
/// Who may call what, decided before anything of the request is read: the OSB proxy (<c>/v1/osb/…</c>) answers only
/// registered platforms (their generated credentials, checked against the stored hash), everything else only the
/// configured admin. Only endpoints marked <c>AllowAnonymous</c> (<c>/health</c>) are open, so a route added later is
/// covered without doing anything. The authenticated platform is kept in <see cref="HttpContext.Items"/>.
/// </summary>
public sealed class Authentication(RequestDelegate next, IOptions<ServiceManagerOptions> options, PlatformCredentials platforms)
{
    public const string PlatformItem = "sm.platform";
    private readonly byte[] _admin = Encoding.UTF8.GetBytes($"{options.Value.Username}:{options.Value.Password}");

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            await next(context);
            return;
        }
        var presented = Presented(context.Request);
        if (context.Request.Path.StartsWithSegments("/v1/osb"))
        {
            if (presented is var (user, password) && await platforms.Authenticate(user, password, context.RequestAborted) is { } platformId)
            {
                context.Items[PlatformItem] = platformId;
                await next(context);
                return;
            }
        }
        else if (presented is var (u, p) && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes($"{u}:{p}"), _admin))
        {
            await next(context);
            return;
        }
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"service-manager\"";
        await ApiErrors.Unauthorized().ExecuteAsync(context);
    }

    public static string Platform(HttpContext context) => (string)context.Items[PlatformItem]!;

    private static (string User, string Password)? Presented(HttpRequest request)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !"Basic".Equals(header.Scheme, StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
            return null;
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            var colon = text.IndexOf(':');
            return colon < 0 ? null : (text[..colon], text[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
