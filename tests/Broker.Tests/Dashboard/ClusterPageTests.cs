using EventSourced.Commands.ServiceInstances;
using Microsoft.Playwright;

namespace EventSourced.Broker.Tests.Dashboard;

/// <summary>
/// A cluster's page lists the databases created in it (through the OSB API, as a platform does) with their state and
/// last operation, and its timeline shows them arrive. Its screenshot is the README's (docs/images/cluster-page.png, refreshed with UPDATE_README_SCREENSHOTS=1).
/// </summary>
public sealed class ClusterPageTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    public const string ClusterSmallPlanId = "7a0c3e51-3b1d-4e0e-9f6a-1c2d3e4f5a61";
    public const string DatabasePlanId = "7a0c3e51-3b1d-4e0e-9f6a-1c2d3e4f5a63";

    [Fact]
    public async Task ClusterPage_ListsItsChildren_WithStateAndLastOperation()
    {
        var cluster = await fixture.Provision("org-team", "space-team", ClusterSmallPlanId, name: "team-cluster");
        var orders = await fixture.Provision("org-team", "space-team", DatabasePlanId, new Dictionary<string, string> { ["cluster"] = cluster.ToString() }, "orders-db");
        var invoices = await fixture.Provision("org-team", "space-team", DatabasePlanId, new Dictionary<string, string> { ["cluster"] = cluster.ToString() }, "invoices-db");
        var page = await fixture.Chromium.NewPage();

        var response = await page.GotoAsync(await fixture.DashboardUrl(cluster));

        Assert.Equal(200, response!.Status);
        Assert.Equal("team-cluster", await page.Locator("h1").InnerTextAsync());
        Assert.Equal("cluster-small", await page.Locator("dd.plan").InnerTextAsync());
        Assert.StartsWith("Cluster", await page.Locator("dd.shape").InnerTextAsync());
        Assert.Equal(1, await page.Locator(".children").CountAsync());
        var rows = page.Locator(".children tr.child");
        Assert.Equal(2, await rows.CountAsync());
        var listed = (await page.Locator(".children a.child-link").AllInnerTextsAsync()).Select(Guid.Parse).ToHashSet();
        Assert.Equal(new HashSet<Guid> { orders, invoices }, listed);
        foreach (var (child, name) in new[] { (orders, "orders-db"), (invoices, "invoices-db") })
        {
            var row = rows.Filter(new LocatorFilterOptions { HasText = child.ToString() });
            Assert.Contains(name, await row.InnerTextAsync());
            Assert.Equal("database", await row.Locator("td[data-label=Plan]").InnerTextAsync());
            Assert.Equal("Provisioned", await row.Locator("td.child-state").InnerTextAsync());
            Assert.Matches(@"^Provision\s+succeeded\s+Provisioned$", (await row.Locator("td.child-operation").InnerTextAsync()).Trim());
        }
        // The cluster's timeline shows each database arrive.
        var descriptions = await page.Locator(".timeline .event-description").AllInnerTextsAsync();
        Assert.Contains(descriptions, d => d.StartsWith($"Database {orders} created in this cluster"));
        Assert.Contains(descriptions, d => d.StartsWith($"Database {invoices} created in this cluster"));
        var screenshot = await HeadlessChromium.Screenshot(page, "cluster-page");
        // The README's image is refreshed on request only (UPDATE_README_SCREENSHOTS=1 ./test …): a test run leaves the
        // checkout as it found it.
        if (System.Environment.GetEnvironmentVariable("UPDATE_README_SCREENSHOTS") == "1")
            File.Copy(screenshot, Path.Combine(HeadlessChromium.RepositoryRoot, "docs", "images", "cluster-page.png"), overwrite: true);

        // A child's page says which cluster it lives in, and its link from the cluster's page opens it.
        await page.Locator($".children a.child-link:text-is('{orders}')").ClickAsync();
        Assert.Equal("orders-db", await page.Locator("h1").InnerTextAsync());
        Assert.Equal($"Service instance {orders}", await page.Locator(".instance-id").InnerTextAsync());
        Assert.Equal("Database in cluster team-cluster", await page.Locator("dd.shape").InnerTextAsync());
        // Its endpoint is its cluster's server, where its database lives.
        var clusterServer = ServiceInstance.Fold(await fixture.Environment.InstanceEvents(cluster)).Server!;
        Assert.Equal($"{clusterServer.Host}:{clusterServer.Port}", await page.Locator("dd.endpoint").InnerTextAsync());
        await HeadlessChromium.Screenshot(page, "cluster-database-page");
    }

    [Fact]
    public async Task ClusterPage_WithoutChildren_SaysHowToCreateOne()
    {
        var cluster = await fixture.Provision("org-empty", "space-empty", ClusterSmallPlanId, name: "empty-cluster");
        var page = await fixture.Chromium.NewPage(HeadlessChromium.Phone);

        await page.GotoAsync(await fixture.DashboardUrl(cluster));

        Assert.Equal(1, await page.Locator(".children").CountAsync());
        Assert.Contains("No database yet", await page.Locator(".children").InnerTextAsync());
        Assert.Contains($"{{\"cluster\": \"{cluster}\"}}", await page.Locator(".children").InnerTextAsync());
    }
}
