namespace EventSourced.ServiceManager.Tests.Support;

/// <summary>The two brokers' catalogs: broker A the default one (its small plan shareable), broker B another service.</summary>
public static class Catalogs
{
    public const string ServiceA = "3f6b3cf2-6f0e-4d6c-9a43-0d6a8a7a1c01";
    public const string SmallA = "9d1d7c6e-2b7a-4f57-8f2f-5c1d0a5e3b11";
    public const string LargeA = "c4b2a8f1-7e3d-4c9a-b6f0-2d8e1f4a5c22";

    public const string ServiceB = "7a1e0c52-0b7f-4e55-9d1a-3c2b4e5f6a01";
    public const string SmallB = "7a1e0c52-0b7f-4e55-9d1a-3c2b4e5f6a11";
    public const string LargeB = "7a1e0c52-0b7f-4e55-9d1a-3c2b4e5f6a12";
    private const string ClusterSmallB = "7a1e0c52-0b7f-4e55-9d1a-3c2b4e5f6a13";
    private const string ClusterLargeB = "7a1e0c52-0b7f-4e55-9d1a-3c2b4e5f6a14";
    private const string DatabaseB = "7a1e0c52-0b7f-4e55-9d1a-3c2b4e5f6a15";

    /// <summary>Broker B's plans: its own ids and names over every plan of the default catalog (configuration cannot remove any).</summary>
    public static readonly string[] PlansB = ["analytics-cluster-large", "analytics-cluster-small", "analytics-database", "analytics-large", "analytics-small"];

    public static Dictionary<string, string> BrokerA(string backend = "simulated") => new()
    {
        ["Provisioners__Backend"] = backend,
        ["Catalog__Services__0__Plans__0__Metadata__shareable"] = "true",
    };

    public static Dictionary<string, string> BrokerB() => new()
    {
        ["Provisioners__Backend"] = "simulated",
        ["Catalog__Services__0__Id"] = ServiceB,
        ["Catalog__Services__0__Name"] = "postgresql-analytics",
        ["Catalog__Services__0__Description"] = "Analytics PostgreSQL servers",
        ["Catalog__Services__0__Plans__0__Id"] = SmallB,
        ["Catalog__Services__0__Plans__0__Name"] = "analytics-small",
        ["Catalog__Services__0__Plans__0__AllowedPlanTransitions__0"] = LargeB,
        ["Catalog__Services__0__Plans__1__Id"] = LargeB,
        ["Catalog__Services__0__Plans__1__Name"] = "analytics-large",
        ["Catalog__Services__0__Plans__1__AllowedPlanTransitions__0"] = SmallB,
        ["Catalog__Services__0__Plans__2__Id"] = ClusterSmallB,
        ["Catalog__Services__0__Plans__2__Name"] = "analytics-cluster-small",
        ["Catalog__Services__0__Plans__2__AllowedPlanTransitions__0"] = ClusterLargeB,
        ["Catalog__Services__0__Plans__3__Id"] = ClusterLargeB,
        ["Catalog__Services__0__Plans__3__Name"] = "analytics-cluster-large",
        ["Catalog__Services__0__Plans__3__AllowedPlanTransitions__0"] = ClusterSmallB,
        ["Catalog__Services__0__Plans__4__Id"] = DatabaseB,
        ["Catalog__Services__0__Plans__4__Name"] = "analytics-database",
    };
}
