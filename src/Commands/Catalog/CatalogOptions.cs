namespace EventSourced.Commands.Catalog;

/// <summary>The service catalog, bound from configuration section "Catalog" (appsettings.json or environment).</summary>
public sealed class CatalogOptions
{
    public const string Section = "Catalog";

    public List<ServiceOffering> Services { get; set; } = [];
}

public sealed class ServiceOffering
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public bool Bindable { get; set; }
    public bool PlanUpdateable { get; set; }
    public List<string> Tags { get; set; } = [];
    public Dictionary<string, string> Metadata { get; set; } = [];
    public List<ServicePlan> Plans { get; set; } = [];
}

public sealed class ServicePlan
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public bool Free { get; set; } = true;
    public bool? Bindable { get; set; }
    public bool? PlanUpdateable { get; set; }
    public bool BindingRotatable { get; set; }
    /// <summary>How long binding credentials stay valid (none: forever); sets metadata.expires_at / renew_before.</summary>
    public TimeSpan? CredentialLifetime { get; set; }
    /// <summary>Size of the dedicated server's persistent disk.</summary>
    public int DiskMb { get; set; }
    public Dictionary<string, string> Metadata { get; set; } = [];
}
