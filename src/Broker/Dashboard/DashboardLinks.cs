using System.Globalization;
using EventSourced.Broker.Hosting;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.Dashboard;

/// <summary>
/// An instance's dashboard link, as <c>dashboard_url</c> hands it out: the broker's public URL, the instance page, and a
/// signature that opens it until <c>Dashboard:LinkLifetime</c> from now. Each provision and fetch gives a fresh one.
/// </summary>
public sealed class DashboardLinks(IOptions<BrokerOptions> broker, IOptions<DashboardOptions> dashboard, DashboardLinkSigner signer, TimeProvider clock)
{
    public string For(Guid instanceId) => broker.Value.PublicUrl.TrimEnd('/') + PathFor(instanceId);

    /// <summary>The signed path alone, for pages of the broker itself (the operator may reach it by another address).</summary>
    public string PathFor(Guid instanceId)
    {
        var expiresAt = clock.GetUtcNow().Add(dashboard.Value.LinkLifetime).ToUnixTimeSeconds();
        return string.Create(CultureInfo.InvariantCulture,
            $"{InstancePagePrefix}{instanceId:D}?expires={expiresAt}&sig={signer.Sign(instanceId, expiresAt)}");
    }

    public const string InstancePagePrefix = "/dashboard/instances/";
}
