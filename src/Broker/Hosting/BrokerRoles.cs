namespace EventSourced.Broker.Hosting;

/// <summary>
/// What this process does, from <c>Broker:Roles</c> (comma-separated; all three by default, one process doing it all):
/// <c>api</c> serves the OSB, admin and dashboard endpoints; <c>worker</c> runs the provisioning flow on RabbitMQ (sagas,
/// sub-provisioners, watchdog, and the subscriptions that carry the log to the bus); <c>projector</c> runs Marten's async
/// daemon for the read models. Any number of each share one PostgreSQL and one RabbitMQ.
/// </summary>
public sealed record BrokerRoles(bool Api, bool Worker, bool Projector)
{
    public const string Setting = "Broker:Roles";

    /// <summary>The setting before roles: <c>false</c> made an API node, <c>true</c> a node doing everything.</summary>
    public const string DeprecatedProvisionersEnabledSetting = "Provisioners:Enabled";

    public static readonly BrokerRoles All = new(true, true, true);

    public static BrokerRoles From(IConfiguration configuration)
    {
        var roles = configuration[Setting];
        if (string.IsNullOrWhiteSpace(roles))
            return configuration.GetValue(DeprecatedProvisionersEnabledSetting, true) ? All : new BrokerRoles(true, false, false);
        var named = roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(role => role.ToLowerInvariant()).ToHashSet();
        var unknown = named.Except(["api", "worker", "projector"]).ToList();
        if (unknown.Count > 0 || named.Count == 0)
            throw new InvalidOperationException(
                $"{Setting} '{roles}' names {(unknown.Count > 0 ? $"unknown roles ({string.Join(", ", unknown)})" : "no role")}: use api, worker and/or projector, comma-separated.");
        return new BrokerRoles(named.Contains("api"), named.Contains("worker"), named.Contains("projector"));
    }

    public override string ToString() =>
        string.Join(",", new[] { (Api, "api"), (Worker, "worker"), (Projector, "projector") }.Where(r => r.Item1).Select(r => r.Item2));
}
