using System.Text.Json;
using EventSourced.Provisioners.Backends;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>Which of an instance's parameters are PostgreSQL server settings (the plan's schema has validated them).</summary>
public static class InstanceParameters
{
    public static IReadOnlyDictionary<string, string> ServerSettingsOf(string? parameters)
    {
        var settings = new Dictionary<string, string>();
        if (string.IsNullOrWhiteSpace(parameters)) return settings;
        using var document = JsonDocument.Parse(parameters);
        foreach (var property in document.RootElement.EnumerateObject())
            if (ServerSettings.Allowed.Contains(property.Name) && property.Value.ValueKind is JsonValueKind.Number or JsonValueKind.String)
                settings[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
        return settings;
    }
}
