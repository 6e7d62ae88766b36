namespace EventSourced.ServiceManager.Resources;

/// <summary>
/// One resource as the API shows it, written in the same transaction as the events that changed it (a list never lags
/// the stream). One document type for every resource type: listing, the query language and paging are written once,
/// against the API's own JSON, so a field the API shows is a field a <c>fieldQuery</c> can filter on.
/// </summary>
public sealed class ResourceView
{
    /// <summary><c>{type}/{resource id}</c>.</summary>
    public string Id { get; set; } = "";

    /// <summary>The resource type as in the route: <c>service_brokers</c>, <c>platforms</c>, …</summary>
    public string Type { get; set; } = "";

    public string ResourceId { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The name where the type's names are unique (brokers, platforms).</summary>
    public string? Name { get; set; }

    /// <summary>The API representation (never a secret).</summary>
    public string Json { get; set; } = "{}";

    /// <summary>Relations the manager itself checks (instances of a broker, references of an instance…).</summary>
    public string? BrokerId { get; set; }

    public string? PlatformId { get; set; }
    public string? ServicePlanId { get; set; }
    public string? InstanceId { get; set; }

    public static string Key(string type, string resourceId) => $"{type}/{resourceId}";
}

/// <summary>The resource types, as the API names them.</summary>
public static class ResourceTypes
{
    public const string Brokers = "service_brokers";
    public const string Platforms = "platforms";
    public const string Offerings = "service_offerings";
    public const string Plans = "service_plans";
    public const string Visibilities = "visibilities";
    public const string Instances = "service_instances";
    public const string Bindings = "service_bindings";
    public const string Operations = "operations";
    /// <summary>Not listed by the API: the platforms' credential hashes, by user name.</summary>
    public const string PlatformLogins = "platform_logins";
}
