using System.Globalization;
using System.Text.Json;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>Which instance parameters are PostgreSQL server settings (the plan's schema has already validated them).</summary>
public static class ServerSettings
{
    private static readonly string[] Known = ["max_connections"];

    public static IReadOnlyDictionary<string, string> From(string? parameters)
    {
        var settings = new Dictionary<string, string>();
        if (string.IsNullOrWhiteSpace(parameters)) return settings;
        using var document = JsonDocument.Parse(parameters);
        foreach (var property in document.RootElement.EnumerateObject())
            if (Known.Contains(property.Name) && property.Value.ValueKind == JsonValueKind.Number)
                settings[property.Name] = property.Value.GetInt64().ToString(CultureInfo.InvariantCulture);
        return settings;
    }
}
