using System.Text;
using System.Text.Json;

namespace EventSourced.Broker.Osb;

/// <summary>
/// Who on the platform caused a request: <c>X-Broker-API-Originating-Identity: {platform} {base64(JSON object)}</c>,
/// e.g. <c>cloudfoundry eyJ1c2VyX2lkIjoiLi4uIn0=</c>. Kept raw in the event metadata; parsed here for permission checks.
/// </summary>
public sealed record OriginatingIdentity(string Platform, JsonElement Value)
{
    /// <summary>The request's parsed identity, or null when the platform sent none (the filter refused malformed ones).</summary>
    public static OriginatingIdentity? Of(HttpContext context) => context.Items[typeof(OriginatingIdentity)] as OriginatingIdentity;

    /// <summary>The user behind the request: Cloud Foundry's <c>user_id</c>, Kubernetes' <c>uid</c> or <c>username</c>.</summary>
    public string? UserId =>
        new[] { "user_id", "uid", "username" }.Select(name => Value.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null)
            .FirstOrDefault(id => !string.IsNullOrEmpty(id));

    public static bool TryParse(string? header, out OriginatingIdentity? identity)
    {
        identity = null;
        var parts = header?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts is not [var platform, var value]) return false;
        try
        {
            var json = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(value))).RootElement;
            if (json.ValueKind != JsonValueKind.Object) return false;
            identity = new OriginatingIdentity(platform, json);
            return true;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return false;
        }
    }
}

/// <summary>Refuses a malformed originating identity with 400 (an absent one is fine) and keeps the parsed one for the endpoint.</summary>
public sealed class OriginatingIdentityFilter : IEndpointFilter
{
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
