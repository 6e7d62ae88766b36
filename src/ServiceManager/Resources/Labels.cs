using System.Text.Json.Nodes;

namespace EventSourced.ServiceManager.Resources;

/// <summary>
/// Peripli's labels: a key maps to a non-empty set of unique, case-sensitive values. Keys have no white space, '=' or
/// ','; values are non-empty and have no newline. Changed by a list of operations applied atomically (all or none).
/// </summary>
public static class Labels
{
    public const int MaxKeyLength = 100;
    public const int MaxValueLength = 255;

    public static Dictionary<string, string[]> Empty() => new(StringComparer.Ordinal);

    /// <summary>The <c>labels</c> object of a create request; an error naming the offending part otherwise.</summary>
    public static (Dictionary<string, string[]>? Labels, string? Error) FromObject(JsonNode? node)
    {
        if (node is null) return (Empty(), null);
        if (node is not JsonObject labels) return (null, "labels must be an object of label keys to arrays of values");
        var result = Empty();
        foreach (var (key, value) in labels)
        {
            if (KeyError(key) is { } keyError) return (null, keyError);
            var (values, error) = Values(value, $"labels.{key}");
            if (error is not null) return (null, error);
            result[key] = values!.Distinct(StringComparer.Ordinal).ToArray();
        }
        return (result, null);
    }

    /// <summary>Applies the <c>labels</c> operations of a PATCH body to <paramref name="current"/>, all or none.</summary>
    public static (Dictionary<string, string[]>? Labels, string? Error) Apply(Dictionary<string, string[]> current, JsonNode? operations)
    {
        var result = new Dictionary<string, List<string>>(current.Select(l => KeyValuePair.Create(l.Key, l.Value.ToList())), StringComparer.Ordinal);
        if (operations is null) return (current, null);
        if (operations is not JsonArray list) return (null, "labels must be an array of label operations {op, key, values}");
        for (var i = 0; i < list.Count; i++)
        {
            var where = $"labels[{i}]";
            if (list[i] is not JsonObject operation) return (null, $"{where} must be an object {{op, key, values}}");
            var op = (operation["op"] as JsonValue)?.TryGetValue<string>(out var o) == true ? o : null;
            var key = (operation["key"] as JsonValue)?.TryGetValue<string>(out var k) == true ? k : null;
            if (op is null) return (null, $"{where}.op must be one of add, add_values, remove, remove_values");
            if (key is null) return (null, $"{where}.key must be a string");
            if (KeyError(key) is { } keyError) return (null, $"{where}: {keyError}");
            string[]? values = null;
            if (operation.ContainsKey("values"))
            {
                var (parsed, error) = Values(operation["values"], $"{where}.values");
                if (error is not null) return (null, error);
                values = parsed;
            }
            switch (op)
            {
                case "add" or "add_values":
                    if (values is null) return (null, $"{where}.values is required for {op}");
                    if (!result.TryGetValue(key, out var existing)) result[key] = existing = [];
                    foreach (var value in values) if (!existing.Contains(value, StringComparer.Ordinal)) existing.Add(value);
                    break;
                case "remove" or "remove_values":
                    if (values is null && op == "remove_values") return (null, $"{where}.values is required for remove_values");
                    if (!result.TryGetValue(key, out var present)) break;
                    if (values is null) result.Remove(key);
                    else
                    {
                        present.RemoveAll(v => values.Contains(v, StringComparer.Ordinal));
                        if (present.Count == 0) result.Remove(key);
                    }
                    break;
                default:
                    return (null, $"{where}.op '{op}' is not one of add, add_values, remove, remove_values");
            }
        }
        return (new Dictionary<string, string[]>(result.Select(l => KeyValuePair.Create(l.Key, l.Value.ToArray())), StringComparer.Ordinal), null);
    }

    public static JsonObject ToJson(IReadOnlyDictionary<string, string[]> labels) =>
        new(labels.OrderBy(l => l.Key, StringComparer.Ordinal)
            .Select(l => KeyValuePair.Create(l.Key, (JsonNode?)new JsonArray(l.Value.Select(v => (JsonNode?)v).ToArray()))));

    private static string? KeyError(string key) =>
        key.Length == 0 ? "a label key must not be empty"
        : key.Length > MaxKeyLength ? $"label key '{key[..20]}…' is longer than {MaxKeyLength} characters"
        : key.Any(c => char.IsWhiteSpace(c) || c is '=' or ',' || char.IsControl(c)) ? $"label key '{key}' must not contain white space, '=' or ','"
        : null;

    private static (string[]? Values, string? Error) Values(JsonNode? node, string where)
    {
        if (node is not JsonArray array || array.Count == 0) return (null, $"{where} must be a non-empty array of strings");
        var values = new List<string>();
        foreach (var item in array)
        {
            if (item is not JsonValue v || !v.TryGetValue<string>(out var text)) return (null, $"{where} must hold strings only");
            if (text.Length == 0 || text.Contains('\n') || text.Contains('\r')) return (null, $"{where}: a label value must be non-empty without newlines");
            if (text.Length > MaxValueLength) return (null, $"{where}: a label value is longer than {MaxValueLength} characters");
            values.Add(text);
        }
        return (values.ToArray(), null);
    }
}
