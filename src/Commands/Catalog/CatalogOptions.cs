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
    public bool AllowContextUpdates { get; set; }
    public List<string> Tags { get; set; } = [];
    /// <summary>Permissions the service needs from the platform (<c>syslog_drain</c>, <c>route_forwarding</c>, <c>volume_mount</c>).</summary>
    public List<string> Requires { get; set; } = [];
    public Dictionary<string, string> Metadata { get; set; } = [];
    public List<ServicePlan> Plans { get; set; } = [];
    /// <summary>What each software/config release (a plan's <c>maintenance_info.version</c>) brings to an instance.</summary>
    public List<ServiceRelease> Releases { get; set; } = [];
}

/// <summary>
/// A release of the offering's software and configuration, named by the <c>maintenance_info.version</c> of the plans that
/// offer it: the server settings it defaults (an instance's own parameters win), the extensions it enables in the
/// instance's database (besides the instance's own), and the SQL an upgrade to it runs in the database (a migration, in one
/// transaction with the extension changes, before the servers are touched: a failing one changes nothing).
/// </summary>
public sealed class ServiceRelease
{
    public string Version { get; set; } = "";
    public string? Description { get; set; }
    public Dictionary<string, string> Settings { get; set; } = [];
    public List<string> Extensions { get; set; } = [];
    public string? Migration { get; set; }
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
    /// <summary>Seconds a platform should poll an operation of this plan before giving up.</summary>
    public int? MaximumPollingDuration { get; set; }
    public PlanMaintenanceInfo? MaintenanceInfo { get; set; }
    /// <summary>What an instance of the plan is made of: a dedicated server (default), a cluster, or a database in a cluster.</summary>
    public ServiceInstances.InstanceShape Shape { get; set; }
    /// <summary>Size of the dedicated server's persistent disk (none for a database in a cluster: it uses the cluster's).</summary>
    public int DiskMb { get; set; }
    /// <summary>How long binding credentials stay valid (binding <c>metadata.expires_at</c>); null: they do not expire.</summary>
    public TimeSpan? CredentialLifetime { get; set; }
    /// <summary>The plan ids an instance of this plan may be updated to.</summary>
    public List<string> AllowedPlanTransitions { get; set; } = [];
    public PlanSchemaFiles Schemas { get; set; } = new();
    public Dictionary<string, string> Metadata { get; set; } = [];
}

public sealed class PlanMaintenanceInfo
{
    /// <summary>A semantic version (semver.org 2.0.0).</summary>
    public string Version { get; set; } = "";
    public string? Description { get; set; }
}

/// <summary>JSON Schema files (relative to the application's directory, or absolute) for the parameters of each request kind.</summary>
public sealed class PlanSchemaFiles
{
    public string? ServiceInstanceCreate { get; set; }
    public string? ServiceInstanceUpdate { get; set; }
    public string? ServiceBindingCreate { get; set; }
}
