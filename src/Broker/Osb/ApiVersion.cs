namespace EventSourced.Broker.Osb;

/// <summary>
/// Requires <c>X-Broker-API-Version</c> between 2.13 and 2.17 on every OSB route (412 otherwise) and remembers the
/// platform's version for the endpoint (<see cref="Of"/>), which answers only with what that version defines.
/// </summary>
public sealed class ApiVersion : IEndpointFilter
{
    public const string Header = "X-Broker-API-Version";
    public static readonly Version Minimum = new(2, 13);
    public static readonly Version Maximum = new(2, 17);

    public static Version Of(HttpContext context) =>
        context.Items[typeof(ApiVersion)] as Version ?? throw new InvalidOperationException("The ApiVersion filter did not run for this endpoint.");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var value = context.HttpContext.Request.Headers[Header].FirstOrDefault();
        if (!Version.TryParse(value, out var version) || version < Minimum || version > Maximum) return OsbErrors.UnsupportedApiVersion(value);
        context.HttpContext.Items[typeof(ApiVersion)] = new Version(version.Major, version.Minor);
        return await next(context);
    }
}
