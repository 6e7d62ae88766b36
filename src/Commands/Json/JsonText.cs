using System.Text.Json.Nodes;

namespace EventSourced.Commands.Json;

public static class JsonText
{
    /// <summary>Whether two JSON documents mean the same (key order and whitespace aside); null and absent are the same.</summary>
    public static bool Equivalent(string? left, string? right) =>
        JsonNode.DeepEquals(Parse(left), Parse(right));

    private static JsonNode? Parse(string? json) => string.IsNullOrWhiteSpace(json) ? null : JsonNode.Parse(json);
}
