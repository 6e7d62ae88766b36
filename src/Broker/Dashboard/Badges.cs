namespace EventSourced.Broker.Dashboard;

/// <summary>The colour class of an instance status or an operation state, so a glance at a page tells how things are.</summary>
public static class Badges
{
    public static string Kind(string text) => text switch
    {
        "Provisioned" or "Succeeded" or "succeeded" => "ok",
        "Provisioning" or "Deprovisioning" or "InProgress" or "in progress" or "Updating" => "busy",
        "Deprovisioned" or "None" => "gone",
        _ when text.Contains("failed", StringComparison.OrdinalIgnoreCase) => "failed",
        _ => "other",
    };
}
