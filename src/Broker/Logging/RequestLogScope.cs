using EventSourced.Broker.Osb;

namespace EventSourced.Broker.Logging;

/// <summary>
/// Every line logged while a request is served carries, as scope fields, what an operator searches by: the platform's
/// <c>X-Broker-API-Request-Identity</c> (<c>RequestIdentity</c>) and the service instance and binding of the route
/// (<c>InstanceId</c>, <c>BindingId</c>). ASP.NET Core's own request scope adds the trace and request ids.
/// </summary>
internal sealed class RequestLogScope(RequestDelegate next, ILogger<RequestLogScope> log)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var fields = new List<KeyValuePair<string, object?>>(3);
        if (context.Request.Headers.TryGetValue(OsbRequest.RequestIdentityHeader, out var identity) && identity.Count == 1
            && OsbRequest.IsValidRequestIdentity(identity[0]))
            fields.Add(new("RequestIdentity", identity[0]));
        if (context.GetRouteValue("instanceId") is string instanceId) fields.Add(new("InstanceId", instanceId));
        if (context.GetRouteValue("bindingId") is string bindingId) fields.Add(new("BindingId", bindingId));
        if (fields.Count == 0)
        {
            await next(context);
            return;
        }
        using (log.BeginScope(fields)) await next(context);
    }
}
