using Microsoft.Playwright;

namespace EventSourced.Broker.Tests.Dashboard;

/// <summary>
/// Debian's chromium (installed by infra/up), headless, driven by Playwright: the pages are checked in a real browser, as a
/// person would see them. Playwright's own browser download is never used (there is no internet); without
/// /usr/bin/chromium the tests fail at once saying so.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>A phone held upright (the width of most phones in CSS pixels).</summary>
    public static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    public static readonly ViewportSize Desktop = new() { Width = 1280, Height = 900 };

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private HeadlessChromium(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static async Task<HeadlessChromium> Launch()
    {
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException(
                $"{ExecutablePath} is missing: the dashboard's browser tests drive Debian's chromium. infra/up (./test, ./run) installs it; by hand: apt-get install chromium.");
        var playwright = await Playwright.CreateAsync();
        try
        {
            return new HeadlessChromium(playwright, await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath, Headless = true, Timeout = 60_000,
            }));
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A page of its own (no cookies or credentials shared with another), failing any wait after 30 s.</summary>
    public async Task<IPage> NewPage(ViewportSize? viewport = null, HttpCredentials? credentials = null)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = viewport ?? Desktop, HttpCredentials = credentials, JavaScriptEnabled = true,
        });
        context.SetDefaultTimeout(30_000);
        context.SetDefaultNavigationTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Where the screenshots of a test run go: TestResults/screenshots at the repository's root (git-ignored).</summary>
    public static string ScreenshotDirectory => Path.Combine(RepositoryRoot, "TestResults", "screenshots");

    /// <summary>The whole page as an image, under <see cref="ScreenshotDirectory"/>; returns its path.</summary>
    public static async Task<string> Screenshot(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public static string RepositoryRoot
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "EventSourced.sln"))) root = root.Parent;
            return root?.FullName ?? throw new InvalidOperationException($"No EventSourced.sln above {AppContext.BaseDirectory}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
