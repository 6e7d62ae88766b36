using System.Text.Json;
using System.Text.Json.Nodes;

namespace EventSourced.Commands.Catalog;

/// <summary>
/// A provisioner's offerings as JSON Schema: each a string property whose <c>enum</c> is its values, so the platform's
/// form shows the choices and a value outside them is refused (400) like any other schema error.
/// </summary>
internal static class OfferingSchema
{
    public static JsonElement Empty { get; } = JsonDocument.Parse("""
        { "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {}, "additionalProperties": false }
        """).RootElement;

    public static JsonElement Add(JsonElement document, IReadOnlyDictionary<string, OfferingChoice> offerings, string where, List<string> problems)
    {
        if (JsonNode.Parse(document.GetRawText()) is not JsonObject root)
        {
            problems.Add($"{where}: the schema is not a JSON object, so the provisioner's offerings cannot be added to it.");
            return document;
        }
        if (root["properties"] is not JsonObject properties) root["properties"] = properties = new JsonObject();
        foreach (var (name, choice) in offerings)
        {
            if (properties.ContainsKey(name))
            {
                problems.Add($"{where}: the schema has its own property '{name}', which is also an offering of the provisioner.");
                continue;
            }
            var property = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray([.. choice.Values.Select(v => (JsonNode)v)]) };
            if (!string.IsNullOrWhiteSpace(choice.Description)) property["description"] = choice.Description;
            properties[name] = property;
        }
        return JsonDocument.Parse(root.ToJsonString()).RootElement;
    }
}
