using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using EventSourced.Bench.Infrastructure;
using EventSourced.Deployments.Execution;
using EventSourced.Deployments.Model;
using EventSourced.Deployments.Planning;
using EventSourced.Deployments.Simulation;

namespace EventSourced.Bench.Scenarios;

/// <summary>The deployment engine's update strategies (issue 11): 100 instances all recreated (vm type changed) on
/// the SIMULATED backend in virtual time, create and delete 1 s each, every other step instant; delete-create against
/// create-swap-delete with surge 1, 10 and unbounded. Wall time (virtual) beside the theoretical minimum for the same
/// policy, and the peak VM count beside its bound N + surge. Starts no server: it is `bench deployments`, not part of
/// `bench all`.</summary>
public static class DeploymentStrategies
{
    private const int N = 100, Canaries = 1, MaxInFlight = 10;
    private static readonly TimeSpan Create = TimeSpan.FromSeconds(1), Delete = TimeSpan.FromSeconds(1);

    public sealed record Row(string Name, string Strategy, int? Surge, double Seconds, double MinimumSeconds, int PeakVms, int PeakBound,
        double RealMilliseconds)
    {
        public double Ratio => Seconds / MinimumSeconds;
    }

    public static int Run(string[] args)
    {
        var suffix = args.SkipWhile(a => a != "--name").Skip(1).FirstOrDefault();
        var rows = new List<Row>
        {
            Measure("delete-create (surge 0)", 0),
            Measure("create-swap-delete, surge 1", 1),
            Measure("create-swap-delete, surge 10", 10),
            Measure("create-swap-delete, unbounded (surge ≥ N)", N),
        };
        var directory = Path.Combine(Settings.RepositoryRoot(), "bench", "results");
        Directory.CreateDirectory(directory);
        var name = $"{DateTime.UtcNow:yyyy-MM-dd}-deployments{(suffix is null ? "" : $"-{suffix}")}";
        if (File.Exists(Path.Combine(directory, $"{name}.md"))) name += $"-{DateTime.UtcNow:HHmm}";
        File.WriteAllText(Path.Combine(directory, $"{name}.svg"), Chart(rows));
        File.WriteAllText(Path.Combine(directory, $"{name}.json"), JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(Path.Combine(directory, $"{name}.md"), Markdown(rows, name));
        Console.Write(Markdown(rows, name));
        Console.WriteLine($"written to bench/results/{name}.{{md,svg,json}}");
        var goal = rows.Single(r => r.Surge == 10);
        return goal.Ratio <= 1.1 && rows.All(r => r.PeakVms <= r.PeakBound) ? 0 : 1;
    }

    private static Row Measure(string name, int surge)
    {
        var cloud = new CloudConfig(
            [new AvailabilityZone("z1", ["h1", "h2"]), new AvailabilityZone("z2", ["h3", "h4"])],
            [new VmType("small", 1, 512), new VmType("large", 2, 1024)], [new DiskType("ten", 10240)],
            [new Network("default", new[] { 1, 2 }.Select(z => new Subnet([$"z{z}"], Enumerable.Range(1, 250).Select(a => $"10.0.{z}.{a}").ToList(),
                new HashSet<string>(), new HashSet<string>())).ToList())]);
        DeploymentManifest Manifest(string vmType) => new("bench", [new InstanceGroup("g", N, ["z1", "z2"], vmType, "ten", "default", [],
            [new Job("pg", "pg", "1", new Dictionary<string, string>(), [])],
            new UpdatePolicy(Canaries, new InFlight(MaxInFlight, false), true, surge))], UpdatePolicy.Default);
        var before = Manifest("small");
        var actual = Planner.Outcome(before, Planner.Plan(before, cloud, ActualDeployment.Empty));
        var plan = Planner.Plan(Manifest("large"), cloud, actual);
        var time = new VirtualTime();
        var backend = new SimulatedBackend(time, StepTimes.Uniform(Create, Delete), actual);
        var real = Stopwatch.StartNew();
        var result = time.Run(() => new DeploymentExecutor(backend, time).Execute(plan));
        real.Stop();
        if (!result.Succeeded) throw new InvalidOperationException($"{name}: {result.Failure}");
        return new Row(name, plan.Groups[0].Strategy == UpdateStrategy.CreateSwapDelete ? "create-swap-delete" : "delete-create",
            surge, (result.Converged - result.Started).TotalSeconds, Minimum(surge).TotalSeconds, backend.PeakVms(), N + surge,
            real.Elapsed.TotalMilliseconds);
    }

    /// <summary>The least time the same policy can take. Delete-create: each instance deletes then creates inside
    /// its in-flight slot, the canaries first, then ⌈(N−k)/max_in_flight⌉ rounds: (d+c)·(1 + ⌈(N−k)/m⌉) for k ≤ m.
    /// Create-swap-delete: each of the N instances holds a surge slot from its new VM's create to its old VM's
    /// delete (c+d), so some slot serves ⌈N/s⌉ of them: ⌈N/s⌉·(c+d); and no other instance starts before a canary's
    /// new VM exists: c + ⌈(N−k)/s⌉·(c+d). The larger of the two.</summary>
    public static TimeSpan Minimum(int surge)
    {
        var pair = Create + Delete;
        if (surge == 0) return pair * (1 + (int)Math.Ceiling((N - Canaries) / (double)MaxInFlight));
        var slots = Math.Min(surge, N);
        return new[] { pair * Math.Ceiling(N / (double)slots), Create + pair * Math.Ceiling((N - Canaries) / (double)slots) }.Max();
    }

    private static string Markdown(IReadOnlyList<Row> rows, string name)
    {
        var md = new StringBuilder();
        md.AppendLine($"# Deployment update strategies — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine();
        md.AppendLine($"{N} instances, every one recreated (vm type changed); **SIMULATED backend in virtual time**: create {Create.TotalSeconds:0} s, " +
                      $"delete {Delete.TotalSeconds:0} s, attach/detach and lifecycle hooks instant; canaries {Canaries}, max_in_flight {MaxInFlight}. " +
                      "Time is the simulated clock from the first step until every instance is updated and every orphaned VM deleted; " +
                      "no server runs (`dotnet run --project bench -c Release -- deployments`). Machine load does not enter the figures; " +
                      "the real time the simulation took is in the last column.");
        md.AppendLine();
        md.AppendLine("| Strategy | Time (virtual) | Theoretical minimum | Ratio | Peak VMs | Bound (N + surge) | Simulation took |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.Seconds:0.##} s | {r.MinimumSeconds:0.##} s | {r.Ratio:0.###}× | {r.PeakVms} | {r.PeakBound} | {r.RealMilliseconds:0} ms |");
        md.AppendLine();
        var goal = rows.Single(r => r.Surge == 10);
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Goal: create-swap-delete with surge 10 within 1.1× its theoretical minimum — **{(goal.Ratio <= 1.1 ? "met" : "missed")}** ({goal.Ratio:0.###}×); " +
            $"peak never above N + surge — **{(rows.All(r => r.PeakVms <= r.PeakBound) ? "met" : "missed")}**.");
        md.AppendLine();
        md.AppendLine("Theoretical minimum, for the same policy (canaries first, then the rest): delete-create (d+c)·(1 + ⌈(N−k)/max_in_flight⌉); " +
                      "create-swap-delete max(⌈N/s⌉·(c+d), c + ⌈(N−k)/s⌉·(c+d)) — every instance holds one of s surge slots from its new VM's " +
                      "create to its old VM's delete, and nothing else starts before the canary's new VM exists. A VM counts from the start of its " +
                      "create to the end of its delete.");
        md.AppendLine();
        md.AppendLine($"![chart]({name}.svg)");
        return md.ToString();
    }

    private static string Chart(IReadOnlyList<Row> rows)
    {
        const int label = 300, barMax = 420, rowHeight = 58, top = 40;
        var height = top + rows.Count * rowHeight * 2 + 40;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="880" height="{height}" font-family="sans-serif" font-size="12">""");
        svg.Append("""<text x="8" y="20" font-size="14" font-weight="bold">Update strategies, 100 instances (SIMULATED, virtual time: create 1 s, delete 1 s)</text>""");
        var maxSeconds = rows.Max(r => Math.Max(r.Seconds, r.MinimumSeconds));
        var y = top;
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="8" y="{y}" font-weight="bold">Time: measured (dark) and theoretical minimum (light)</text>""");
        y += 10;
        foreach (var r in rows)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="8" y="{y + 20}">{WebUtility.HtmlEncode(r.Name)}</text>""");
            Bar(svg, label, y + 6, r.Seconds / maxSeconds * barMax, "#2b6cb0", $"{r.Seconds:0.##} s ({r.Ratio:0.##}×)");
            Bar(svg, label, y + 26, r.MinimumSeconds / maxSeconds * barMax, "#a0aec0", $"{r.MinimumSeconds:0.##} s minimum");
            y += rowHeight;
        }
        y += 14;
        var maxVms = rows.Max(r => Math.Max(r.PeakVms, r.PeakBound));
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="8" y="{y}" font-weight="bold">Peak VMs (dark) and bound N + surge (light)</text>""");
        y += 10;
        foreach (var r in rows)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="8" y="{y + 20}">{WebUtility.HtmlEncode(r.Name)}</text>""");
            Bar(svg, label, y + 6, r.PeakVms / (double)maxVms * barMax, "#2f855a", $"{r.PeakVms} VMs");
            Bar(svg, label, y + 26, r.PeakBound / (double)maxVms * barMax, "#a0aec0", $"{r.PeakBound} bound");
            y += rowHeight;
        }
        return svg.Append("</svg>").ToString();
    }

    private static void Bar(StringBuilder svg, int x, int y, double length, string colour, string text) =>
        svg.Append(CultureInfo.InvariantCulture,
            $"""<rect x="{x}" y="{y}" width="{Math.Max(1, length):F1}" height="16" fill="{colour}"/><text x="{x + Math.Max(1, length) + 6:F1}" y="{y + 12}">{WebUtility.HtmlEncode(text)}</text>""");
}
