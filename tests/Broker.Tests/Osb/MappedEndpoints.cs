using EventSourced.Broker.Tests.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>One route and method the broker maps, and whether it is open to anonymous callers.</summary>
public sealed record MappedEndpoint(string Method, RoutePattern Pattern, bool AllowsAnonymous)
{
    public string Template => "/" + Pattern.RawText!.TrimStart('/');

    /// <summary>The route with every parameter replaced by <paramref name="value"/> (a parameter constrained to a GUID gets one anyway).</summary>
    public string Path(Func<RoutePatternParameterPart, string> value) =>
        "/" + string.Join("/", Pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => Uri.EscapeDataString(value(parameter)),
            RoutePatternSeparatorPart separator => separator.Content,
            _ => throw new InvalidOperationException($"Unexpected route part {part}"),
        }))));

    public override string ToString() => $"{Method} {Template}";

    /// <summary>
    /// Every endpoint of the broker's own composition (Program: AddBroker, MapBroker and whatever is added later), read
    /// from its <see cref="EndpointDataSource"/>, so a test walking them cannot miss a route added tomorrow. The app is
    /// hosted in memory as an API node on <paramref name="environment"/>'s database, only to be asked.
    /// </summary>
    public static IReadOnlyList<MappedEndpoint> Of(BrokerEnvironment environment)
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Production");
            foreach (var (key, value) in environment.Settings(httpPort: 1)) builder.UseSetting(key.Replace("__", ":"), value);
            builder.UseSetting("Broker:Roles", "api");
        });
        return [.. factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(method =>
                new MappedEndpoint(method, endpoint.RoutePattern, endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)))
            .OrderBy(e => e.Template).ThenBy(e => e.Method)];
    }
}
