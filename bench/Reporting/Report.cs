using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EventSourced.Bench.Reporting;

/// <summary>Writes &lt;name&gt;.md (tables, notes, charts linked), &lt;name&gt;.json (every figure) and one SVG per scenario.</summary>
public static class Report
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Write(BenchResults results, string directory, string name, string? analysis, Baseline? baseline = null)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, $"{name}.json"), JsonSerializer.Serialize(results, Json));
        foreach (var scenario in results.Scenarios.Where(s => s.Comparisons.Any(c => c.Limit is > 0)))
            File.WriteAllText(Path.Combine(directory, $"{name}-scenario{scenario.Id}.svg"), Svg.Chart(scenario));

        var m = results.Machine;
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Benchmarks {m.StartedAt}{(m.Quick ? " (quick smoke run — not representative)" : "")}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {m.Host}, {m.Cores} cores ({m.CpuModel}), {m.MemoryGb:N1} GB RAM, {m.Os}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Versions: {m.Dotnet}; {m.Postgres}; {m.PgBench}; RabbitMQ {m.RabbitMq}; commit {m.Commit}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Load average (1/5/15 min): before {string.Join(" / ", m.LoadAverageBefore)}, after {string.Join(" / ", m.LoadAverageAfter)}; run took {m.Minutes:N1} min");
        md.AppendLine("- Ratio: measured / limit for throughput, limit / measured for latency, time and memory (100% = as good as the limit).");
        md.AppendLine();
        md.AppendLine("| # | Figure | Measured | Limit (same run) | Ratio | Goal | Met |");
        md.AppendLine("|---|---|---:|---|---:|---|:---:|");
        foreach (var s in results.Scenarios)
        {
            if (s.Error is not null) md.AppendLine(CultureInfo.InvariantCulture, $"| {s.Id} | **failed**: {s.Error.Split('\n')[0]} | | | | | |");
            foreach (var c in s.Comparisons)
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {s.Id} | {c.Name} | {Svg.Format(c.Value)} {c.Unit} | {c.LimitName}: {(c.Limit is { } l ? $"{Svg.Format(l)} {c.Unit}" : "—")} | {(c.Ratio is { } r ? r.ToString("P0", CultureInfo.InvariantCulture) : "—")} | {c.Goal ?? ""} | {(c.GoalMet switch { true => "yes", false => "**no**", null => "" })} |");
        }
        md.AppendLine();
        foreach (var s in results.Scenarios)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"## {s.Id}. {s.Title}");
            md.AppendLine();
            if (File.Exists(Path.Combine(directory, $"{name}-scenario{s.Id}.svg"))) md.AppendLine(CultureInfo.InvariantCulture, $"![scenario {s.Id}]({name}-scenario{s.Id}.svg)\n");
            foreach (var note in s.Notes) md.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
            if (s.Error is not null) md.AppendLine(CultureInfo.InvariantCulture, $"- Failed: `{s.Error.Split('\n')[0]}`");
            md.AppendLine();
            md.AppendLine("<details><summary>Raw figures</summary>\n\n```json");
            md.AppendLine(JsonSerializer.Serialize(s.Details, Json));
            md.AppendLine("```\n</details>\n");
        }
        if (baseline is not null) md.AppendLine(baseline.Section(results));
        if (analysis is not null) md.AppendLine(analysis);
        var path = Path.Combine(directory, $"{name}.md");
        File.WriteAllText(path, md.ToString());
        return path;
    }
}
