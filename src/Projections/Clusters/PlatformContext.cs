using System.Text.Json;

namespace EventSourced.Projections.Clusters;

/// <summary>The names a platform's context gives an instance and its place (OSB profile: Cloud Foundry, Kubernetes).</summary>
public sealed record PlatformContext(string? InstanceName, string? OrganizationName, string? SpaceName)
{
    public static PlatformContext Of(string? context)
    {
        if (string.IsNullOrWhiteSpace(context)) return new(null, null, null);
        using var document = JsonDocument.Parse(context);
        var root = document.RootElement;
        return root.ValueKind != JsonValueKind.Object
            ? new(null, null, null)
            : new(Text(root, "instance_name"), Text(root, "organization_name"), Text(root, "space_name") ?? Text(root, "namespace"));
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
