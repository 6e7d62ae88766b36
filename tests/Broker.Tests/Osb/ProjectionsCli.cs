using System.Diagnostics;
using EventSourced.Broker.Tests.Hosting;

namespace EventSourced.Broker.Tests.Osb;

/// <summary>The broker's operator command line, run as its own process on a broker environment.</summary>
internal static class ProjectionsCli
{
    public static async Task<(int ExitCode, string Output, string Error)> Run(BrokerEnvironment environment, params string[] arguments)
    {
        var broker = BrokerBinaries();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(broker, "EventSourced.Broker.dll"), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = broker,
        };
        foreach (var (key, value) in environment.Settings(httpPort: 1)) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>The broker's own build output (what operators run), found beside the solution as BrokerProcess does.</summary>
    public static string BrokerBinaries()
    {
        var testBinaries = new DirectoryInfo(AppContext.BaseDirectory);
        var root = testBinaries;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "EventSourced.sln"))) root = root.Parent;
        return Path.Combine(root!.FullName, "src", "Broker", "bin", testBinaries.Parent!.Name, "net10.0");
    }
}
