namespace EventSourced.ServiceManager.Hosting;

/// <summary>The <c>ServiceManager</c> configuration section.</summary>
public sealed class ServiceManagerOptions
{
    public const string Section = "ServiceManager";

    /// <summary>Basic-auth user of the registry API (<c>/v1/…</c> but the OSB proxy, whose callers are platforms).</summary>
    public string Username { get; set; } = "";

    public string Password { get; set; } = "";

    /// <summary>The manager's own PostgreSQL schema: it may share a database with a broker without sharing its tables.</summary>
    public string Schema { get; set; } = "service_manager";

    /// <summary>
    /// How the manager treats its schema at start: by default it creates and migrates its own tables (they are its alone;
    /// the broker's <c>db apply</c> does not know them). <c>None</c> makes it only use what exists.
    /// </summary>
    public JasperFx.AutoCreate AutoCreate { get; set; } = JasperFx.AutoCreate.CreateOrUpdate;

    /// <summary>How long one call to a broker may take before the manager gives it up (and treats it as a broker failure).</summary>
    public TimeSpan BrokerRequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the manager polls brokers for its own in-progress operations and retries orphan mitigation.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Deadline of an operation whose plan sets no <c>maximum_polling_duration</c>.</summary>
    public TimeSpan DefaultMaximumPollingDuration { get; set; } = TimeSpan.FromHours(1);
}
