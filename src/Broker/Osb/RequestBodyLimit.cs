using EventSourced.Broker.Hosting;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.Osb;

/// <summary>
/// Refuses a body announced larger than <see cref="BrokerOptions.MaxRequestBodyBytes"/> with 413 before anything reads it,
/// on every route (one that ignores its body too). A body without Content-Length (chunked) is cut off by Kestrel's
/// <c>MaxRequestBodySize</c>, set to the same limit, as soon as it passes it; <see cref="OsbBadRequests"/> turns that into
/// the same 413.
/// </summary>
internal sealed class RequestBodyLimit(RequestDelegate next, IOptions<BrokerOptions> options)
{
    public Task InvokeAsync(HttpContext context) =>
        context.Request.ContentLength > options.Value.MaxRequestBodyBytes
            ? OsbErrors.PayloadTooLarge(options.Value.MaxRequestBodyBytes).ExecuteAsync(context)
            : next(context);
}
