using System.Diagnostics;

namespace EventSourced.Bench.Infrastructure;

/// <summary>
/// What a process's managed heap holds, by type (dotnet-gcdump's heap statistics: count and bytes per type, biggest
/// first), beside its RSS: what grows with the instances it holds. Optional: without the tool installed
/// (`dotnet tool install -g dotnet-gcdump`) it reports why. A gcdump forces a full GC in the process.
/// </summary>
public static class HeapProfiler
{
    private static readonly string Tool = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-gcdump");

    /// <returns>The first <paramref name="lines"/> lines of the report, also written to <paramref name="output"/>.txt.</returns>
    public static async Task<string> HeapStat(int pid, string output, int lines = 45)
    {
        if (!File.Exists(Tool)) return $"dotnet-gcdump not installed at {Tool}; no heap statistics taken.";
        var start = new ProcessStartInfo(Tool, ["report", "-p", pid.ToString()]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var report = string.Join('\n', (await stdout + await stderr).Split('\n').Take(lines));
        await File.WriteAllTextAsync(output + ".txt", report);
        return report;
    }
}
