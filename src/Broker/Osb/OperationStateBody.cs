using System.Text.Json.Serialization;

namespace EventSourced.Broker.Osb;

/// <summary>
/// The body of a last_operation answer that is not a failure, the one platforms poll: serialized by a source-generated
/// serializer (no reflection, no anonymous type's metadata per call), byte for byte what the anonymous object gave.
/// </summary>
public sealed record OperationStateBody(
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("description")] string? Description)
{
    public IResult ToResult() => TypedResults.Json(this, OsbJsonContext.Default.OperationStateBody);
}

/// <summary>Source-generated System.Text.Json metadata for the OSB answers on the polling path.</summary>
[JsonSerializable(typeof(OperationStateBody))]
public sealed partial class OsbJsonContext : JsonSerializerContext;
