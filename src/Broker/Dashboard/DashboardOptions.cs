namespace EventSourced.Broker.Dashboard;

/// <summary>
/// Settings of the people's dashboard (section "Dashboard"). The instance pages are reached by app developers, who do not
/// have the broker's credentials, through links signed with <see cref="SigningKey"/> that expire after
/// <see cref="LinkLifetime"/>: a platform hands a fresh link out with every fetch of the instance.
/// </summary>
public sealed class DashboardOptions
{
    public const string Section = "Dashboard";

    /// <summary>At least 32 characters; empty: a key derived from <c>Secrets:Key</c> (one secret less to manage).</summary>
    public string? SigningKey { get; set; }

    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromDays(30);

    public const int MinimumSigningKeyLength = 32;
}
