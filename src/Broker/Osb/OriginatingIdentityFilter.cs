using EventSourced.Commands.EventStore;

namespace EventSourced.Broker.Osb;

/// <summary>Refuses a malformed originating identity with 400 (an absent one is fine) and keeps the parsed one for the endpoint.</summary>
public sealed class OriginatingIdentityFilter : IEndpointFilter
{
    /// <summary>The request's parsed identity, or null when the platform sent none (the filter refused malformed ones).</summary>
    public static OriginatingIdentity? Of(HttpContext context) => context.Items[typeof(OriginatingIdentity)] as OriginatingIdentity;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var headers = context.HttpContext.Request.Headers[OsbRequest.OriginatingIdentityHeader];
        if (headers.Count == 0) return await next(context);
        if (headers.Count > 1 || !OriginatingIdentity.TryParse(headers[0], out var identity))
            return OsbErrors.BadRequest($"{OsbRequest.OriginatingIdentityHeader} must be '{{platform}} {{base64 of a JSON object}}'.");
        context.HttpContext.Items[typeof(OriginatingIdentity)] = identity;
        return await next(context);
    }
}
