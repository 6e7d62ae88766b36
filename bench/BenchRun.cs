using EventSourced.TestSupport;
using System.Diagnostics;
using EventSourced.Bench.Infrastructure;
using EventSourced.Bench.Reporting;
using EventSourced.Bench.Scenarios;

namespace EventSourced.Bench;

public sealed record BenchArguments(BenchOptions Options, IReadOnlySet<string> Only, string? Analysis, string? Name = null, string? Baseline = null,
    bool StartServers = true)
{
    public static BenchArguments Parse(string[] args)
    {
        var only = Value(args, "--only")?.Split(',').ToHashSet() ?? ["1", "2", "3", "4", "5", "6", "7", "8"];
        var quick = args.Contains("--quick");
        var results = Path.Combine(Settings.RepositoryRoot(), "bench", "results", quick ? "tmp" : "");
        return new BenchArguments(new BenchOptions(quick, args.Contains("--profile"), results), only, Value(args, "--analysis"), Value(args, "--name"),
            Value(args, "--baseline"), !args.Contains("--no-infra"));
    }

    private static string? Value(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
}

/// <summary>Starts what the scenarios need, runs them in order (broker scenarios on one broker), writes the results.</summary>
public static class BenchRun
{
    public static async Task<int> Run(BenchArguments arguments)
    {
        var options = arguments.Options;
        var clock = Stopwatch.StartNew();
        var startedAt = DateTimeOffset.Now;
        var loadBefore = Machine.LoadAverage();
        Log($"load average {string.Join(" ", loadBefore)}; {(options.Quick ? "quick smoke run" : "full run")}");
        await LocalServers.Start(arguments.StartServers);
        var results = new BenchResults { Machine = null! };
        var postgres = await PostgresVersion();

        if (new[] { "1", "2", "3", "6", "7" }.Any(arguments.Only.Contains))
        {
            await using var broker = await BrokerUnderTest.Start();
            await Task.Delay(TimeSpan.FromSeconds(2));
            var idleRss = broker.Process.RssMb();
            Log($"broker started (pid {broker.Process.Pid}, RSS {idleRss:N0} MB)");
            if (arguments.Only.Contains("1")) await Scenario(results, "1", () => WritePath.Run(broker, options));
            if (arguments.Only.Contains("2")) await Scenario(results, "2", () => Polling.Run(broker, options));
            if (arguments.Only.Contains("3")) await Scenario(results, "3", () => EndToEnd.Run(broker, options));
            if (arguments.Only.Contains("7")) await Scenario(results, "7", () => Binds.Run(broker, options));
            if (arguments.Only.Contains("6")) await Scenario(results, "6", () => Memory.Run(broker, options, idleRss));
        }
        if (arguments.Only.Contains("4")) await Scenario(results, "4", () => EventStoreThroughput.Run(options));
        if (arguments.Only.Contains("5")) await Scenario(results, "5", () => Replay.Run(options));
        if (arguments.Only.Contains("8")) await Scenario(results, "8", () => ColdStart.Run(options));
        results.Scenarios.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));

        results.Machine = new MachineInfo(Environment.MachineName, Environment.ProcessorCount, Machine.CpuModel(), Machine.MemoryGb(),
            Machine.Os(), Machine.Dotnet(), postgres, await PgBench.Version(), await RabbitServer.Version(), Machine.Commit(),
            loadBefore, Machine.LoadAverage(), startedAt.ToString("yyyy-MM-dd HH:mm zzz"), clock.Elapsed.TotalMinutes, options.Quick);
        var directory = options.ResultsDirectory;
        var analysis = arguments.Analysis is { } file ? await File.ReadAllTextAsync(file) : null;
        var name = startedAt.ToString("yyyy-MM-dd") + (arguments.Name is { } suffix ? $"-{suffix}" : "") +
                   (arguments.Only.Count < 8 ? $"-only-{string.Join("", arguments.Only.Order())}" : "");
        if (File.Exists(Path.Combine(directory, $"{name}.md")))
            name += $"-{startedAt:HHmm}";
        var baseline = arguments.Baseline is { } b
            ? Baseline.Load(File.Exists(b) ? b : Path.Combine(Settings.RepositoryRoot(), "bench", "results", $"{b}.json"))
            : null;
        var path = Report.Write(results, directory, name, analysis, baseline);
        Log($"wrote {path}");
        Console.WriteLine(await File.ReadAllTextAsync(path).ContinueWith(t => t.Result.Split("\n## ")[0]));
        return results.Scenarios.Any(s => s.Error is not null) ? 1 : 0;
    }

    private static async Task Scenario(BenchResults results, string id, Func<Task<ScenarioResult>> run)
    {
        var clock = Stopwatch.StartNew();
        Log($"scenario {id} …");
        try
        {
            results.Scenarios.Add(await run());
        }
        catch (Exception e)
        {
            results.Scenarios.Add(new ScenarioResult(id, $"scenario {id}") { Error = e.ToString() });
            Log($"scenario {id} failed: {e}");
        }
        Log($"scenario {id} done in {clock.Elapsed.TotalSeconds:N0} s");
    }

    private static async Task<string> PostgresVersion()
    {
        await using var connection = new Npgsql.NpgsqlConnection(TestSettings.PostgresConnectionString);
        await connection.OpenAsync();
        return "PostgreSQL " + connection.ServerVersion;
    }

    private static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] bench: {message}");
}
