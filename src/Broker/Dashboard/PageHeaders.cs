namespace EventSourced.Broker.Dashboard;

/// <summary>
/// Headers of every dashboard page: the signed link in its address must not leave with a Referer nor stay in a shared
/// cache; the pages run no script and embed nothing from elsewhere, and say so to the browser.
/// </summary>
public static class PageHeaders
{
    public static void Apply(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy =
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    }
}
