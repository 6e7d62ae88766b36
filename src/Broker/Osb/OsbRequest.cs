using System.Text.Json;
using System.Text.Unicode;
using EventSourced.Commands.EventStore;

namespace EventSourced.Broker.Osb;

/// <summary>What every OSB request carries besides its body: identities for the event metadata, and the JSON body.</summary>
public static class OsbRequest
{
    public const string OriginatingIdentityHeader = "X-Broker-API-Originating-Identity";
    public const string RequestIdentityHeader = "X-Broker-API-Request-Identity";

    public static EventMetadata Metadata(HttpRequest request, Guid correlationId) => new(
        correlationId,
        OriginatingIdentity: request.Headers[OriginatingIdentityHeader].FirstOrDefault(),
        RequestIdentity: request.Headers[RequestIdentityHeader].FirstOrDefault());

    /// <summary>
    /// Reads the body as a JSON object; malformed JSON, a wrong shape or a string the log cannot hold is the caller's 400,
    /// never a 500. A body past Kestrel's limit (<c>Broker:MaxRequestBodyBytes</c>) throws, and becomes a 413.
    /// </summary>
    /// <param name="options">How the body is spelled: OSB's snake_case unless given (the ops API's camelCase).</param>
    public static async Task<(T? Body, string? Error)> ReadBody<T>(HttpRequest request, CancellationToken ct, JsonSerializerOptions? options = null)
        where T : class
    {
        using var buffer = new MemoryStream();
        try
        {
            await request.Body.CopyToAsync(buffer, ct);
        }
        catch (IOException e) when (e is not BadHttpRequestException && !ct.IsCancellationRequested)
        {
            // Kestrel reports some broken framing (a chunk size that overflows) as a plain IOException: still the client's fault.
            throw new BadHttpRequestException($"The request body could not be read: {e.Message}", StatusCodes.Status400BadRequest, e);
        }
        var json = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (json.Span.StartsWith(Utf8ByteOrderMark)) json = json[Utf8ByteOrderMark.Length..];
        try
        {
            if (Unstorable(json.Span) is { } problem) return (null, problem);
            var body = JsonSerializer.Deserialize<T>(json.Span, options ?? JsonOptions);
            return body is null ? (null, "The request body must be a JSON object.") : (body, null);
        }
        catch (JsonException e)
        {
            return (null, $"The request body is not valid: {e.Message}");
        }
    }

    /// <summary>Refuses a JSON value that is present but not an object (OSB's <c>parameters</c> and <c>context</c> are objects).</summary>
    public static string? ObjectOrAbsent(JsonElement? value, string name) =>
        value is null or { ValueKind: JsonValueKind.Object or JsonValueKind.Null } ? null : $"{name} must be a JSON object.";

    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// A string or property name that is not valid text (bytes that are not UTF-8, or an escaped lone surrogate such as
    /// \ud800), or that holds U+0000, which PostgreSQL's text and jsonb cannot store. The serializer only checks the
    /// strings it converts: in <c>parameters</c> and <c>context</c> such strings reached the schema validation or the
    /// append and failed there with a 500. Malformed JSON throws a JsonException, as it would when deserialized.
    /// </summary>
    private static string? Unstorable(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName)) continue;
            if (!reader.ValueIsEscaped)
            {
                if (!Utf8.IsValid(reader.ValueSpan)) return "The request body holds a string that is not valid UTF-8.";
                continue;
            }
            try
            {
                if (reader.GetString()!.Contains('\0'))
                    return "The request body holds the character U+0000 (\\u0000) in a string, which this broker cannot store.";
            }
            catch (InvalidOperationException)
            {
                return "The request body holds a string that is not valid UTF-8 or UTF-16 once unescaped.";
            }
        }
        return null;
    }

    // Duplicate keys are refused: which of two values a platform meant is not ours to guess, and merging parameters
    // through JsonObject throws on them later.
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        AllowDuplicateProperties = false,
    };

    /// <summary>The request identity is echoed in the response, whose headers can only carry printable ASCII.</summary>
    public static bool IsValidRequestIdentity(string? value) => value is not null && value.All(c => c is >= ' ' and <= '~');
}
