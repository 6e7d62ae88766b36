using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EventSourced.ServiceManager.Resources;

/// <summary>
/// A request's JSON object, refused (with the reason) when it is not JSON, not an object, has a duplicate key or holds
/// U+0000: the manager stores and forwards what it accepts, so nothing ambiguous gets past the edge.
/// </summary>
public static class RequestBody
{
    public const int MaxBytes = 1024 * 1024;

    public static async Task<(JsonObject? Body, string? Error)> Read(HttpRequest request, bool allowEmpty = false)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBytes) return (null, $"the body is larger than {MaxBytes} bytes");
        }
        if (buffer.Length == 0) return allowEmpty ? ([], null) : (null, "the body must be a JSON object");
        return Parse(buffer.ToArray());
    }

    public static (JsonObject? Body, string? Error) Parse(byte[] utf8)
    {
        try
        {
            var node = JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 64 });
            if (node is not JsonObject body) return (null, "the body must be a JSON object");
            if (Encoding.UTF8.GetString(utf8).Contains('\0') || body.ToJsonString().Contains("\\u0000"))
                return (null, "the body must not contain U+0000");
            return (body, null);
        }
        catch (JsonException e)
        {
            return (null, $"the body is not valid JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            return (null, $"the body is not valid JSON: {e.Message}");
        }
    }

    public static (string? Value, string? Error) String(JsonObject body, string field, bool required, int maxLength = 255)
    {
        if (!body.TryGetPropertyValue(field, out var node) || node is null)
            return required ? (null, $"{field} is required") : (null, null);
        if (node is not JsonValue value || !value.TryGetValue<string>(out var text)) return (null, $"{field} must be a string");
        if (required && string.IsNullOrWhiteSpace(text)) return (null, $"{field} must be a non-empty string");
        if (text.Length > maxLength) return (null, $"{field} is longer than {maxLength} characters");
        return (text, null);
    }

    public static (JsonObject? Value, string? Error) Object(JsonObject body, string field)
    {
        if (!body.TryGetPropertyValue(field, out var node) || node is null) return (null, null);
        return node is JsonObject o ? (o, null) : (null, $"{field} must be an object");
    }

    public static (bool? Value, string? Error) Boolean(JsonObject body, string field)
    {
        if (!body.TryGetPropertyValue(field, out var node) || node is null) return (null, null);
        return node is JsonValue v && v.TryGetValue<bool>(out var b) ? (b, null) : (null, $"{field} must be true or false");
    }
}
