using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace EventSourced.Bench.Infrastructure;

public sealed record PgBenchResult(int Clients, double TransactionsPerSecond, long Transactions, double P50Ms, double P99Ms, double MachineBusyPercent);

/// <summary>pgbench against the same PostgreSQL, with a custom script; per-transaction latencies from its log.</summary>
public static class PgBench
{
    public static async Task<PgBenchResult> Run(string connectionString, string script, int clients, TimeSpan duration, TimeSpan warmup)
    {
        if (warmup > TimeSpan.Zero) await Invoke(connectionString, script, clients, warmup, log: false);
        var before = CpuSnapshot.Take();
        var result = await Invoke(connectionString, script, clients, duration, log: true);
        return result with { MachineBusyPercent = CpuSnapshot.Take().Since(before).MachineBusyPercent };
    }

    public static async Task<string> Version()
    {
        var (output, _) = await Exec(Settings.PgBench, ["--version"], new Dictionary<string, string>(), Directory.GetCurrentDirectory());
        return output.Trim();
    }

    private static async Task<PgBenchResult> Invoke(string connectionString, string script, int clients, TimeSpan duration, bool log)
    {
        var c = new NpgsqlConnectionStringBuilder(connectionString);
        var work = Directory.CreateTempSubdirectory("pgbench-");
        try
        {
            var file = Path.Combine(work.FullName, "script.sql");
            await File.WriteAllTextAsync(file, script);
            List<string> args = ["-h", c.Host!, "-p", c.Port.ToString(), "-U", c.Username!, "-n", "-c", clients.ToString(), "-j", Math.Min(clients, 2).ToString(),
                "-T", Math.Max(1, (int)Math.Round(duration.TotalSeconds)).ToString(), "-f", file];
            if (log) args.AddRange(["-l", "--log-prefix", Path.Combine(work.FullName, "log")]);
            args.Add(c.Database!);
            var (output, exit) = await Exec(Settings.PgBench, args, new Dictionary<string, string> { ["PGPASSWORD"] = c.Password! }, work.FullName);
            if (exit != 0) throw new InvalidOperationException($"pgbench failed ({exit}):\n{output}");
            var tps = double.Parse(Line(output, "tps = ").Split(' ')[2], CultureInfo.InvariantCulture);
            var latencies = log
                ? Directory.GetFiles(work.FullName, "log*").SelectMany(File.ReadLines)
                    .Select(l => long.Parse(l.Split(' ')[2]) / 1000.0).Order().ToList()
                : [];
            return new PgBenchResult(clients, tps, latencies.Count, Latencies.Percentile(latencies, 50), Latencies.Percentile(latencies, 99), 0);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static string Line(string output, string prefix) =>
        output.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))
        ?? throw new InvalidOperationException($"pgbench printed no '{prefix}' line:\n{output}");

    private static async Task<(string Output, int Exit)> Exec(string file, IEnumerable<string> args, IDictionary<string, string> env, string cwd)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd };
        foreach (var (k, v) in env) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (await stdout + await stderr, process.ExitCode);
    }
}
