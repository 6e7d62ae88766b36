using EventSourced.Broker.Osb;
using Microsoft.Net.Http.Headers;

namespace EventSourced.Broker.Catalog;

public static class CatalogEndpoints
{
    public static RouteGroupBuilder MapCatalog(this RouteGroupBuilder osb)
    {
        osb.MapGet("/catalog", Catalog);
        return osb;
    }

    private static IResult Catalog(HttpContext context, CatalogDocument catalog)
    {
        var version = ApiVersion.Of(context);
        var (body, etag) = catalog.For(version);
        if (!version.Supports(ApiFeature.CatalogETag)) return Results.Bytes(body, "application/json");
        context.Response.Headers.ETag = etag;
        return Matches(context.Request, etag) ? Results.StatusCode(StatusCodes.Status304NotModified) : Results.Bytes(body, "application/json");
    }

    /// <summary>If-None-Match uses the weak comparison (RFC 9110 13.1.2): <c>W/"x"</c> matches <c>"x"</c>, and <c>*</c> matches anything.</summary>
    private static bool Matches(HttpRequest request, string etag) =>
        EntityTagHeaderValue.TryParseList(request.Headers.IfNoneMatch, out var tags)
        && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(new EntityTagHeaderValue(etag), useStrongComparison: false));
}
