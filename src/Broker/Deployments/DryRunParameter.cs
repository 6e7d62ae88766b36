using System.Text.Json;
using System.Text.Json.Nodes;

namespace EventSourced.Broker.Deployments;

/// <summary>
/// The OSB update parameter <c>"dry_run": true</c>: the platform asks what the update would do, and gets the plan in a
/// 422's description, nothing changed. It is the broker's, not the plan's: taken out before the plan's schema sees them.
/// </summary>
public static class DryRunParameter
{
    public const string Name = "dry_run";

    /// <returns>Whether a dry run is asked, the parameters without it, or why the parameter is refused.</returns>
    public static (bool DryRun, JsonElement? Parameters, string? Error) Take(JsonElement? parameters)
    {
        if (parameters is not { ValueKind: JsonValueKind.Object } given || !given.TryGetProperty(Name, out var value)) return (false, parameters, null);
        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            return (false, parameters, $"parameters.{Name} must be true or false (not {value.GetRawText()}).");
        var rest = JsonNode.Parse(given.GetRawText())!.AsObject();
        rest.Remove(Name);
        return (value.ValueKind == JsonValueKind.True, JsonSerializer.SerializeToElement(rest), null);
    }
}
