using System.Diagnostics;

namespace EventSourced.Bench.Infrastructure;

/// <summary>
/// CPU sampling of a process with dotnet-trace (EventPipe), while some load runs, reduced to the top methods by exclusive
/// and inclusive time. Optional: without the tool installed (`dotnet tool install -g dotnet-trace`) it reports why.
/// </summary>
public static class Profiler
{
    private static readonly string Tool = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-trace");

    public static async Task<string> Profile(int pid, TimeSpan duration, Func<Task> load, string output)
    {
        if (!File.Exists(Tool)) return $"dotnet-trace not installed at {Tool}; no profile taken.";
        var trace = output + ".nettrace";
        var seconds = (int)Math.Ceiling(duration.TotalSeconds);
        var collect = Exec(["collect", "-p", pid.ToString(), "--profile", "dotnet-sampled-thread-time", "--duration", $"00:00:00:{seconds:D2}", "-o", trace]);
        await Task.Delay(TimeSpan.FromSeconds(1));
        await load();
        await collect;
        var exclusive = await Exec(["report", trace, "topN", "-n", "30"]);
        var inclusive = await Exec(["report", trace, "topN", "-n", "40", "--inclusive"]);
        var report = $"# exclusive (top 30)\n{exclusive}\n# inclusive (top 40)\n{inclusive}";
        await File.WriteAllTextAsync(output + ".txt", report);
        File.Delete(trace);
        File.Delete(trace + ".etlx");
        return report;
    }

    private static async Task<string> Exec(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Tool, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return await stdout + await stderr;
    }
}
