using System.Text.Json;
using System.Text.Json.Nodes;

namespace EventSourced.Broker.ServiceInstances;

/// <summary>
/// The OSB parameters that reach snapshots: <c>restore_from_snapshot</c> (provision: a new instance restored from the
/// snapshot, as an ops import makes one) and <c>export</c> (update: a snapshot of the instance, nothing else changed). Both
/// are taken out of the parameters before the plan's schema sees them: they are requests, not settings of the server.
/// </summary>
public static class SnapshotParameters
{
    public const string Restore = "restore_from_snapshot";
    public const string Export = "export";

    /// <returns>The snapshot to restore, the parameters without it, or why the parameter is refused.</returns>
    public static (Guid? SnapshotId, JsonElement? Parameters, string? Error) TakeRestore(JsonElement? parameters)
    {
        if (Take(parameters, Restore) is not ({ } value, var rest)) return (null, parameters, null);
        return value.ValueKind == JsonValueKind.String && Guid.TryParse(value.GetString(), out var id)
            ? (id, rest, null)
            : (null, parameters, $"parameters.{Restore} must be a snapshot id (a GUID string, not {value.GetRawText()}).");
    }

    /// <returns>Whether an export is asked, the parameters without it, or why the parameter is refused.</returns>
    public static (bool Export, JsonElement? Parameters, string? Error) TakeExport(JsonElement? parameters)
    {
        if (Take(parameters, Export) is not ({ } value, var rest)) return (false, parameters, null);
        return value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? (value.ValueKind == JsonValueKind.True, rest, null)
            : (false, parameters, $"parameters.{Export} must be true or false (not {value.GetRawText()}).");
    }

    private static (JsonElement? Value, JsonElement? Others) Take(JsonElement? parameters, string name)
    {
        if (parameters is not { ValueKind: JsonValueKind.Object } given || !given.TryGetProperty(name, out var value)) return (null, null);
        var rest = JsonNode.Parse(given.GetRawText())!.AsObject();
        rest.Remove(name);
        return (value, rest.Count == 0 ? null : JsonSerializer.SerializeToElement(rest));
    }
}
