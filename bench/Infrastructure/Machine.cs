using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace EventSourced.Bench.Infrastructure;

public static class Machine
{
    public static double[] LoadAverage() =>
        File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    public static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";

    public static double MemoryGb() =>
        long.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0 / 1024.0;

    public static string Os() => RuntimeInformation.OSDescription;

    public static string Dotnet() => RuntimeInformation.FrameworkDescription;

    public static string Commit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["rev-parse", "--short", "HEAD"])
            { RedirectStandardOutput = true, WorkingDirectory = Settings.RepositoryRoot() })!;
            var commit = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            using var status = Process.Start(new ProcessStartInfo("git", ["status", "--porcelain", "--", "src", "bench"])
            { RedirectStandardOutput = true, WorkingDirectory = Settings.RepositoryRoot() })!;
            var dirty = status.StandardOutput.ReadToEnd().Trim().Length > 0;
            status.WaitForExit();
            return dirty ? commit + "+dirty" : commit;
        }
        catch (Exception)
        {
            return "unknown";
        }
    }
}
