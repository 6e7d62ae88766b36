namespace EventSourced.Provisioners.Reconciler;

/// <summary>Settings of the drift reconciler, bound from "Provisioners:Local:Reconciler".</summary>
public sealed class ReconcilerOptions
{
    public const string Section = "Provisioners:Local:Reconciler";

    /// <summary>False stops the periodic check (and its warnings); <c>GET /admin/drift</c> still computes a report on demand.</summary>
    public bool Enabled { get; set; } = true;

    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);
}
