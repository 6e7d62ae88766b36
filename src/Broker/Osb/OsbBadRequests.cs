using EventSourced.Broker.Hosting;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.Osb;

/// <summary>
/// Request binding failures (a malformed query value, an unreadable body) become OSB 400 bodies, never 500s; a body
/// that grows past the limit while it is read (chunked) becomes the OSB 413 of <see cref="RequestBodyLimit"/>.
/// </summary>
internal sealed class OsbBadRequests(RequestDelegate next, IOptions<BrokerOptions> options)
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
            await (e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? OsbErrors.PayloadTooLarge(options.Value.MaxRequestBodyBytes)
                : OsbErrors.BadRequest(e.Message)).ExecuteAsync(context);
        }
    }
}
