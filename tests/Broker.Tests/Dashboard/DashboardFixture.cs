using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Dashboard;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Broker.Tests.Osb;
using EventSourced.Commands.Secrets;
using EventSourced.TestSupport;
using Microsoft.Playwright;

namespace EventSourced.Broker.Tests.Dashboard;

/// <summary>
/// A broker on the simulated backend (fast: no real server per instance) with one provisioned instance, and headless
/// chromium to look at its pages.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    private readonly SimulatedInstanceFixture _instance = new();

    public HeadlessChromium Chromium { get; private set; } = null!;
    public BrokerProcess Broker => _instance.Broker;
    public BrokerEnvironment Environment => _instance.Environment;
    public HttpClient Client => Broker.Client;
    public Guid InstanceId => _instance.InstanceId;

    /// <summary>The signer the broker uses (no Dashboard:SigningKey: derived from the environment's secret key).</summary>
    public DashboardLinkSigner Signer => DashboardLinkSigner.From(new DashboardOptions(), new SecretProtector(Environment.SecretKey));

    public HttpCredentials BrokerCredentials => new() { Username = Environment.Username, Password = Environment.Password };

    public async Task InitializeAsync()
    {
        // The browser first: without chromium every test fails at once, before a broker is started for nothing.
        Chromium = await HeadlessChromium.Launch();
        await _instance.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (Chromium is not null) await Chromium.DisposeAsync();
        }
        finally
        {
            await _instance.DisposeAsync();
        }
    }

    /// <summary>The <c>dashboard_url</c> a platform gets when it fetches the instance.</summary>
    public async Task<string> DashboardUrl(Guid instanceId)
    {
        var response = await Client.GetAsync($"/v2/service_instances/{instanceId}");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body.ToJsonString()}");
        return (string)body["dashboard_url"]!;
    }

    /// <summary>Provisions an instance in that org and space through the OSB API and waits until it succeeded.</summary>
    public async Task<Guid> Provision(string org, string space, string planId = Hosting.Osb.SmallPlanId, object? parameters = null, string? name = null)
    {
        var id = Guid.NewGuid();
        var response = await Client.PutAsJsonAsync($"/v2/service_instances/{id}?accepts_incomplete=true", new
        {
            service_id = Hosting.Osb.ServiceId, plan_id = planId, organization_guid = org, space_guid = space, parameters,
            context = new { platform = "cloudfoundry", organization_guid = org, space_guid = space, instance_name = name ?? $"instance-{id:N}" },
        });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var done = await Client.PollUntilDone(id, TimeSpan.FromSeconds(60), () => Broker.Output);
        Assert.True(done.State == "succeeded", $"{done}");
        return id;
    }

    /// <summary>Waits until the (asynchronous) instance directory lists this many instances of the org, in every state.</summary>
    public Task WaitForDirectory(string org, int count, string state = "Provisioned") =>
        Eventually.True(async () =>
        {
            var response = await Client.GetAsync($"{DashboardEndpoints.OverviewPath}?org={Uri.EscapeDataString(org)}&state={state}");
            return (await response.Content.ReadAsStringAsync()).Contains($">{count} instance{(count == 1 ? "" : "s")}<");
        }, $"the overview lists {count} {state} instances of org {org}", seconds: 60, details: () => Broker.Output);
}
