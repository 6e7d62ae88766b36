using System.Text;
using System.Text.Json;

namespace EventSourced.Commands.EventStore;

/// <summary>
/// Who caused a request: OSB's <c>X-Broker-API-Originating-Identity: {platform} {base64(JSON object)}</c>, e.g.
/// <c>cloudfoundry eyJ1c2VyX2lkIjoiLi4uIn0=</c>, or the ops API's <c>ops base64({"username": …})</c>. Kept raw in the event
/// metadata (<see cref="EventMetadata.OriginatingIdentity"/>); parsed for permission checks and to tell who asked.
/// </summary>
public sealed record OriginatingIdentity(string Platform, JsonElement Value)
{
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
