using System.Text.Json;
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

    /// <summary>Reads the body as a JSON object; malformed JSON or a wrong shape is the caller's 400, never a 500.</summary>
    public static async Task<(T? Body, string? Error)> ReadBody<T>(HttpRequest request, CancellationToken ct) where T : class
    {
        try
        {
            var body = await JsonSerializer.DeserializeAsync<T>(request.Body, JsonOptions, ct);
            return body is null ? (null, "The request body must be a JSON object.") : (body, null);
        }
        catch (JsonException e)
        {
            return (null, $"The request body is not valid: {e.Message}");
        }
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
