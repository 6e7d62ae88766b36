using System.Text.Json;
using EventSourced.Provisioners.Backends;

namespace EventSourced.Provisioners.SubProvisioners;

/// <summary>Which of an instance's parameters are PostgreSQL server settings and extensions (the plan's schema has validated them).</summary>
public static class InstanceParameters
{
    /// <summary>The parameter listing the extensions enabled in the instance's database.</summary>
    public const string Extensions = "extensions";

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

    /// <summary>The extensions an instance has: its release's and its parameters', sorted and distinct.</summary>
    public static IReadOnlyList<string> ExtensionsOf(EventSourced.Commands.Catalog.ServiceRelease? release, string? parameters) =>
        (release?.Extensions ?? []).Concat(ExtensionsOf(parameters)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>The server settings an instance chooses: its release's, its parameters' over them.</summary>
    public static IReadOnlyDictionary<string, string> ServerSettingsOf(EventSourced.Commands.Catalog.ServiceRelease? release, string? parameters)
    {
        var settings = new Dictionary<string, string>(release?.Settings ?? [], StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in ServerSettingsOf(parameters)) settings[name] = value;
        return settings;
    }

    /// <summary>The extensions the parameters enable, sorted and distinct (none when the parameter is absent).</summary>
    public static IReadOnlyList<string> ExtensionsOf(string? parameters)
    {
        if (string.IsNullOrWhiteSpace(parameters)) return [];
        using var document = JsonDocument.Parse(parameters);
        if (!document.RootElement.TryGetProperty(Extensions, out var list) || list.ValueKind != JsonValueKind.Array) return [];
        return list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }
}
