using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EventSourced.Broker.Dashboard;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.Secrets;

namespace EventSourced.Broker.Tests.Dashboard;

/// <summary><c>Dashboard:SigningKey</c>: when set, links are signed with it (not with the key derived from Secrets:Key); too short, the broker does not start.</summary>
public sealed class DashboardSettingsTests
{
    [Fact]
    public async Task ConfiguredSigningKey_SignsTheLinks()
    {
        var key = RandomNumberGenerator.GetHexString(40);
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["Provisioners__Backend"] = "simulated", ["Dashboard__SigningKey"] = key,
        });
        await using var broker = await BrokerProcess.Start(environment);
        var instanceId = Guid.NewGuid();

        var response = await broker.Client.Provision(instanceId);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var url = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["dashboard_url"]!;
        var link = Regex.Match(url, @"\?expires=(\d+)&sig=(.+)$");
        Assert.Equal(LinkCheck.Valid, new DashboardLinkSigner(Encoding.UTF8.GetBytes(key)).Check(instanceId, link.Groups[1].Value, link.Groups[2].Value, DateTimeOffset.UtcNow));
        var derived = DashboardLinkSigner.From(new DashboardOptions(), new SecretProtector(environment.SecretKey));
        Assert.Equal(LinkCheck.Invalid, derived.Check(instanceId, link.Groups[1].Value, link.Groups[2].Value, DateTimeOffset.UtcNow));
        using var anonymous = new HttpClient { BaseAddress = broker.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var page = await anonymous.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        await broker.Client.PollUntilDone(instanceId, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task ShortSigningKey_BrokerRefusesToStart()
    {
        await using var environment = await BrokerEnvironment.Create(new Dictionary<string, string>
        {
            ["Provisioners__Backend"] = "simulated", ["Dashboard__SigningKey"] = "too-short",
        });

        InvalidOperationException? refused = null;
        try
        {
            // A broker that starts anyway is stopped again, not left behind the failed test.
            await using var started = await BrokerProcess.Start(environment);
        }
        catch (InvalidOperationException e)
        {
            refused = e;
        }

        Assert.NotNull(refused);
        Assert.Contains("Dashboard:SigningKey must have at least 32 characters", refused.Message);
    }
}
