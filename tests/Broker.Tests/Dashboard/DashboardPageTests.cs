using System.Net;
using System.Text.RegularExpressions;
using EventSourced.Broker.Dashboard;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using Microsoft.Playwright;
using static EventSourced.Broker.Tests.Hosting.Osb;

namespace EventSourced.Broker.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser: the instance page behind its signed link (content, nothing secret, 403 for a forged,
/// altered or expired link) and the operators' overview (credentials, filters, paging), on a desktop and on a phone.
/// </summary>
public sealed class DashboardPageTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    [Fact]
    public async Task InstancePage_FromDashboardUrl_ShowsPlanStateEndpointAndTimeline_AndNoSecret()
    {
        var url = await fixture.DashboardUrl(fixture.InstanceId);
        Assert.StartsWith($"{fixture.Broker.BaseAddress}dashboard/instances/{fixture.InstanceId}?expires=", url);
        var page = await fixture.Chromium.NewPage();

        var response = await page.GotoAsync(url);

        Assert.Equal(200, response!.Status);
        Assert.StartsWith("text/html", response.Headers["content-type"]);
        // Named as the platform named it (SimulatedInstanceFixture's provisioning gives no name: the id stands in).
        Assert.Equal($"Instance {fixture.InstanceId}", await page.Locator("h1").InnerTextAsync());
        Assert.Equal($"Service instance {fixture.InstanceId}", await page.Locator(".instance-id").InnerTextAsync());
        Assert.Equal("dedicated-small", await page.Locator("dd.plan").InnerTextAsync());
        Assert.Equal("Provisioned", await page.Locator("dd.state").InnerTextAsync());
        Assert.Matches(@"^Provision\s+succeeded\s+Provisioned", await page.Locator("dd.last-operation").InnerTextAsync());
        var state = ServiceInstance.Fold(await fixture.Environment.InstanceEvents(fixture.InstanceId));
        Assert.Equal($"{state.Server!.Host}:{state.Server.Port}", await page.Locator("dd.endpoint").InnerTextAsync());
        // The timeline: every recorded event, newest first, with the sentence last_operation used for it.
        var types = await page.Locator(".timeline .event-type").AllInnerTextsAsync();
        var recorded = (await fixture.Environment.InstanceEvents(fixture.InstanceId)).Select(e => e.GetType().Name).Reverse().ToList();
        Assert.Equal(recorded, types);
        var descriptions = await page.Locator(".timeline .event-description").AllInnerTextsAsync();
        Assert.Equal("Provisioned", descriptions[0]);
        Assert.Equal("Provisioning requested", descriptions[^1]);
        Assert.Contains("Server started", descriptions);
        Assert.Equal(types.Count, await page.Locator(".timeline time[datetime]").CountAsync());
        // Nothing secret: not the database owner's password (in clear or encrypted), nor the broker's credentials.
        var html = await page.ContentAsync();
        var password = new SecretProtector(fixture.Environment.SecretKey).Unprotect(state.Database!.EncryptedAdminPassword);
        Assert.DoesNotContain(password, html);
        Assert.DoesNotContain(state.Database.EncryptedAdminPassword, html);
        Assert.DoesNotContain(fixture.Environment.Password, html);
        Assert.DoesNotContain(fixture.Environment.SecretKey, html);
        // No script, and the signed link does not leave with a Referer.
        Assert.Equal(0, await page.Locator("script").CountAsync());
        Assert.Equal("no-referrer", response.Headers["referrer-policy"]);
        await HeadlessChromium.Screenshot(page, "instance-page");
    }

    [Fact]
    public async Task InstancePage_OnAPhone_FitsTheScreenWidth()
    {
        var page = await fixture.Chromium.NewPage(HeadlessChromium.Phone);

        await page.GotoAsync(await fixture.DashboardUrl(fixture.InstanceId));

        await AssertNoHorizontalScrolling(page);
        await HeadlessChromium.Screenshot(page, "instance-page-phone");
    }

    [Fact]
    public async Task InstancePage_ForgedSignature_Shows403Page()
    {
        var url = await fixture.DashboardUrl(fixture.InstanceId);
        var expires = Regex.Match(url, @"expires=(\d+)").Groups[1].Value;
        var forged = new DashboardLinkSigner(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).Sign(fixture.InstanceId, long.Parse(expires));

        await AssertRefused(Regex.Replace(url, "sig=[^&]+", $"sig={forged}"), "Link not valid", "link-forged-403");
    }

    [Fact]
    public async Task InstancePage_AlteredInstanceId_Shows403Page()
    {
        var other = await fixture.Provision("org-altered", "space-altered");
        var url = await fixture.DashboardUrl(fixture.InstanceId);

        // The link of one instance, pointed at another instance: the signature is over the id.
        await AssertRefused(url.Replace(fixture.InstanceId.ToString(), other.ToString()), "Link not valid", "link-altered-403");
        await AssertRefused(url.Replace(fixture.InstanceId.ToString(), "not-a-guid"), "Link not valid", null);
    }

    [Fact]
    public async Task InstancePage_ExpiredLink_Shows403Page()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string Link(long expiresAt) =>
            $"{fixture.Broker.BaseAddress}dashboard/instances/{fixture.InstanceId}?expires={expiresAt}&sig={fixture.Signer.Sign(fixture.InstanceId, expiresAt)}";
        // The same key signs an expiry an hour ahead: it opens the page, so the refusal below is for the expiry alone.
        var page = await fixture.Chromium.NewPage();
        Assert.Equal(200, (await page.GotoAsync(Link(now + 3600)))!.Status);

        await AssertRefused(Link(now - 60), "Link expired", "link-expired-403");
    }

    [Fact]
    public async Task InstancePage_WithoutSignature_Shows403Page() =>
        await AssertRefused($"{fixture.Broker.BaseAddress}dashboard/instances/{fixture.InstanceId}", "Link not valid", null);

    [Fact]
    public async Task Overview_WithoutCredentials_Returns401()
    {
        using var anonymous = new HttpClient { BaseAddress = fixture.Broker.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        var response = await anonymous.GetAsync(DashboardEndpoints.OverviewPath);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Basic", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Overview_Filters_ShowOnlyMatchingInstances_EachLinkingToItsPage()
    {
        var org = $"org-{Guid.NewGuid():N}";
        var smallInOne = await fixture.Provision(org, "space-one");
        var largeInOne = await fixture.Provision(org, "space-one", LargePlanId);
        var smallInTwo = await fixture.Provision(org, "space-two");
        await fixture.WaitForDirectory(org, 3);
        var page = await fixture.Chromium.NewPage(credentials: fixture.BrokerCredentials);

        // As a person does: the form, then Filter.
        await page.GotoAsync($"{fixture.Broker.BaseAddress}dashboard");
        await page.Locator("select[name=plan]").SelectOptionAsync(new SelectOptionValue { Label = "dedicated-large" });
        await page.Locator("input[name=org]").FillAsync(org);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();

        Assert.Equal([largeInOne], await Listed(page));
        Assert.Equal("dedicated-large", await page.Locator("select[name=plan] option:checked").InnerTextAsync());
        await HeadlessChromium.Screenshot(page, "overview-filtered");

        await page.GotoAsync($"{fixture.Broker.BaseAddress}dashboard?org={org}&space=space-two");
        Assert.Equal([smallInTwo], await Listed(page));
        await page.GotoAsync($"{fixture.Broker.BaseAddress}dashboard?org={org}&space=space-one&plan={SmallPlanId}&service={ServiceId}&state=Provisioned");
        Assert.Equal([smallInOne], await Listed(page));
        await page.GotoAsync($"{fixture.Broker.BaseAddress}dashboard?org={org}&state=Provisioning");
        Assert.Empty(await Listed(page));
        await page.GotoAsync($"{fixture.Broker.BaseAddress}dashboard?org={org}");
        Assert.Equal([smallInOne, largeInOne, smallInTwo], await Listed(page));

        // Each row links to its instance page with a link signed for it, opened here without the broker's credentials.
        var link = await page.Locator($"a.instance-link:text-is('{largeInOne}')").GetAttributeAsync("href");
        var visitor = await fixture.Chromium.NewPage();
        Assert.Equal(200, (await visitor.GotoAsync(new Uri(fixture.Broker.BaseAddress, link).ToString()))!.Status);
        Assert.Equal("dedicated-large", await visitor.Locator("dd.plan").InnerTextAsync());
    }

    [Fact]
    public async Task Overview_Paging_WalksEveryInstanceOnce_KeepingTheFilters()
    {
        var org = $"org-{Guid.NewGuid():N}";
        var created = new List<Guid>();
        for (var i = 0; i < 5; i++) created.Add(await fixture.Provision(org, "space-paging"));
        await fixture.WaitForDirectory(org, 5);
        var page = await fixture.Chromium.NewPage(credentials: fixture.BrokerCredentials);

        await page.GotoAsync($"{fixture.Broker.BaseAddress}dashboard?org={org}&size=2");
        var seen = new List<Guid>(await Listed(page));
        Assert.Equal("Page 1 of 3", await page.Locator(".page-of").InnerTextAsync());
        await page.Locator("a[rel=next]").ClickAsync();
        Assert.Equal("Page 2 of 3", await page.Locator(".page-of").InnerTextAsync());
        seen.AddRange(await Listed(page));
        await page.Locator("a[rel=next]").ClickAsync();
        Assert.Equal("Page 3 of 3", await page.Locator(".page-of").InnerTextAsync());
        var last = await Listed(page);
        seen.AddRange(last);
        await HeadlessChromium.Screenshot(page, "overview-paged");

        Assert.Single(last);
        Assert.Equal(0, await page.Locator("a[rel=next]").CountAsync());
        Assert.Equal(created, seen);
        await page.Locator("a[rel=prev]").ClickAsync();
        Assert.Equal(created.Skip(2).Take(2), await Listed(page));
    }

    [Fact]
    public async Task Overview_OnAPhone_StacksTheRows()
    {
        var org = $"org-{Guid.NewGuid():N}";
        await fixture.Provision(org, "space-phone");
        await fixture.Provision(org, "space-phone", LargePlanId);
        await fixture.WaitForDirectory(org, 2);
        var page = await fixture.Chromium.NewPage(HeadlessChromium.Phone, fixture.BrokerCredentials);

        await page.GotoAsync($"{fixture.Broker.BaseAddress}dashboard?org={org}");

        Assert.False(await page.Locator("table.instances thead").IsVisibleAsync());
        await AssertNoHorizontalScrolling(page);
        await HeadlessChromium.Screenshot(page, "overview-phone");
    }

    private static async Task<IReadOnlyList<Guid>> Listed(IPage page) =>
        (await page.Locator("a.instance-link").AllInnerTextsAsync()).Select(Guid.Parse).ToList();

    private async Task AssertRefused(string url, string heading, string? screenshot)
    {
        var page = await fixture.Chromium.NewPage();

        var response = await page.GotoAsync(url);

        Assert.Equal(403, response!.Status);
        Assert.StartsWith("text/html", response.Headers["content-type"]);
        Assert.Equal(heading, await page.Locator("h1").InnerTextAsync());
        Assert.Contains("Fetch the service instance again", await page.Locator(".advice").InnerTextAsync());
        // Nothing of the instance is shown.
        Assert.Equal(0, await page.Locator(".timeline, dd.endpoint").CountAsync());
        if (screenshot is not null) await HeadlessChromium.Screenshot(page, screenshot);
    }

    /// <summary>Readable on a phone: nothing wider than the screen (no sideways scrolling).</summary>
    private static async Task AssertNoHorizontalScrolling(IPage page)
    {
        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
        Assert.True(widths[0] <= widths[1], $"the page is {widths[0]} px wide on a {widths[1]} px screen");
    }
}
