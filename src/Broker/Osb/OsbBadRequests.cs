namespace EventSourced.Broker.Osb;

/// <summary>Request binding failures (a malformed query value, an unreadable body) become OSB 400 bodies, never 500s.</summary>
internal sealed class OsbBadRequests(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await OsbErrors.BadRequest(e.Message).ExecuteAsync(context);
        }
    }
}
