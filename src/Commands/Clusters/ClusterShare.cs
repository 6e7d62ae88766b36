using System.Text.Json;

namespace EventSourced.Commands.Clusters;

/// <summary>
/// An org (every space of it, when <paramref name="Space"/> is null) or one space of an org allowed to create databases
/// in a cluster besides the cluster's own space. Kept in the cluster's parameters as
/// <c>"share": [{"org": "…", "space": "…"}]</c>, so a share takes effect when the update that sets it succeeds.
/// </summary>
public sealed record ClusterShare(string Org, string? Space)
{
    public const string Parameter = "share";

    public bool Covers(string org, string space) => Org == org && (Space is null || Space == space);

    /// <summary>The shares in a cluster's parameters (validated by the plan's schema before they were recorded).</summary>
    public static IReadOnlyList<ClusterShare> In(string? parameters)
    {
        if (string.IsNullOrWhiteSpace(parameters)) return [];
        using var document = JsonDocument.Parse(parameters);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty(Parameter, out var shares) || shares.ValueKind != JsonValueKind.Array)
            return [];
        return shares.EnumerateArray()
            .Where(share => share.ValueKind == JsonValueKind.Object && share.TryGetProperty("org", out var org) && org.ValueKind == JsonValueKind.String)
            .Select(share => new ClusterShare(share.GetProperty("org").GetString()!,
                share.TryGetProperty("space", out var space) && space.ValueKind == JsonValueKind.String ? space.GetString() : null))
            .ToList();
    }
}
