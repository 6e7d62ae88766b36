using System.Text.RegularExpressions;

namespace EventSourced.Broker.Tests.Dashboard;

/// <summary>What a <c>dashboard_url</c> must look like: the broker's instance page with an expiry and an HMAC-SHA256 (base64url).</summary>
public static class SignedLinks
{
    public static void AssertFor(string? url, Uri brokerAddress, Guid instanceId) =>
        Assert.Matches($@"^{Regex.Escape($"{brokerAddress}dashboard/instances/{instanceId}")}\?expires=\d+&sig=[A-Za-z0-9_-]{{43}}$", url);
}
