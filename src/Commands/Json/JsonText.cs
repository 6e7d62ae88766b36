using System.Text.Json.Nodes;

namespace EventSourced.Commands.Json;

public static class JsonText
{
    /// <summary>Whether two JSON documents mean the same (key order and whitespace aside); null and absent are the same.</summary>
    public static bool Equivalent(string? left, string? right) =>
        JsonNode.DeepEquals(Parse(left), Parse(right));

    /// <summary>Overlays the keys of a JSON object onto another (a null value removes the key); null when nothing is left.</summary>
    public static string? Merge(string? current, string changes)
    {
        var merged = Parse(current) as JsonObject ?? [];
        foreach (var (key, value) in (JsonObject)Parse(changes)!)
        {
            if (value is null) merged.Remove(key);
            else merged[key] = value.DeepClone();
        }
        return merged.Count == 0 ? null : merged.ToJsonString();
    }

    private static JsonNode? Parse(string? json) => string.IsNullOrWhiteSpace(json) ? null : JsonNode.Parse(json);
}
