namespace EventSourced.Broker.Osb;

/// <summary>Requires <c>X-Broker-API-Version</c> between 2.13 and 2.17 on every OSB route (412 otherwise).</summary>
public sealed class ApiVersion : IEndpointFilter
{
    public const string Header = "X-Broker-API-Version";
    public static readonly Version Minimum = new(2, 13);
    public static readonly Version Maximum = new(2, 17);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var value = context.HttpContext.Request.Headers[Header].FirstOrDefault();
        return Version.TryParse(value, out var version) && version >= Minimum && version <= Maximum
            ? await next(context)
            : OsbErrors.UnsupportedApiVersion(value);
    }
}
