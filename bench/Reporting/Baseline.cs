using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EventSourced.Bench.Reporting;

/// <summary>
/// An earlier run's figures (its JSON), matched to this run's by scenario and figure name (counts in names ignored), for a
/// before/after table: value before, value now, now ÷ before, and each run's ratio to its own limit (the limit absorbs
/// part of the machine's drift between runs).
/// </summary>
public sealed partial class Baseline
{
    private readonly Dictionary<string, (double Value, double? Limit, bool HigherIsBetter)> figures = [];

    private Baseline(string name) => Name = name;

    public string Name { get; }

    public static Baseline Load(string file)
    {
        var baseline = new Baseline(Path.GetFileNameWithoutExtension(file));
        using var json = JsonDocument.Parse(File.ReadAllText(file));
        foreach (var scenario in json.RootElement.GetProperty("scenarios").EnumerateArray())
        foreach (var c in scenario.GetProperty("comparisons").EnumerateArray())
        {
            double? limit = c.GetProperty("limit").ValueKind == JsonValueKind.Number ? c.GetProperty("limit").GetDouble() : null;
            baseline.figures[Key(scenario.GetProperty("id").GetString()!, c.GetProperty("name").GetString()!)] =
                (Number(c.GetProperty("value")), limit, c.GetProperty("higherIsBetter").GetBoolean());
        }
        return baseline;
    }

    /// <summary>The section for a finished run's JSON (`bench compare run.json baseline`).</summary>
    public string Section(string resultsJson)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(resultsJson));
        var results = new BenchResults { Machine = null! };
        foreach (var scenario in json.RootElement.GetProperty("scenarios").EnumerateArray())
        {
            var s = new ScenarioResult(scenario.GetProperty("id").GetString()!, scenario.GetProperty("title").GetString()!);
            foreach (var c in scenario.GetProperty("comparisons").EnumerateArray())
                s.Comparisons.Add(new(c.GetProperty("name").GetString()!, Number(c.GetProperty("value")), c.GetProperty("unit").GetString()!,
                    c.GetProperty("limitName").GetString()!, c.GetProperty("limit").ValueKind == JsonValueKind.Number ? c.GetProperty("limit").GetDouble() : null,
                    c.GetProperty("higherIsBetter").GetBoolean()));
            results.Scenarios.Add(s);
        }
        return Section(results);
    }

    public string Section(BenchResults results)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"## Before/after ({Name} → this run)");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Now ÷ before: above 1 is more for throughput, below 1 is less for latency, time and memory. \"vs limit\" is each run's own ratio to the limit measured beside it in that run.");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"| # | Figure | {Name} | This run | Now ÷ before | | vs limit before → now |");
        md.AppendLine("|---|---|---:|---:|---:|---|---|");
        foreach (var s in results.Scenarios)
        foreach (var c in s.Comparisons)
        {
            if (!figures.TryGetValue(Key(s.Id, c.Name), out var before))
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {s.Id} | {c.Name} | — | {Svg.Format(c.Value)} {c.Unit} | | new | — → {Percent(c.Ratio)} |");
                continue;
            }
            var change = c.Value / before.Value;
            var better = c.HigherIsBetter ? change >= 1 : change <= 1;
            var beforeRatio = before.Limit is not > 0 || before.Value <= 0 ? (double?)null
                : before.HigherIsBetter ? before.Value / before.Limit : before.Limit / before.Value;
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {s.Id} | {c.Name} | {Svg.Format(before.Value)} {c.Unit} | {Svg.Format(c.Value)} {c.Unit} | {change.ToString("0.00", CultureInfo.InvariantCulture)} | {(Math.Abs(change - 1) < 0.05 ? "same" : better ? "better" : "**worse**")} | {Percent(beforeRatio)} → {Percent(c.Ratio)} |");
        }
        return md.ToString();
    }

    private static string Percent(double? ratio) => ratio is { } r ? r.ToString("P0", CultureInfo.InvariantCulture) : "—";

    private static double Number(JsonElement e) => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.NaN;

    /// <summary>Scenario id + figure name with large counts (1,000 and up, as printed) blanked and this run's renamings undone (Rich is what the old figures measured).</summary>
    private static string Key(string scenario, string name) => scenario + "|" + Numbers().Replace(name, "#")
        .Replace(", Rich (broker's setting)", "", StringComparison.Ordinal)
        .Replace("pages of", "batches of", StringComparison.Ordinal)
        .Replace("broker.mt_events", "events", StringComparison.Ordinal);

    [GeneratedRegex(@"\d{1,3}(,\d{3})+")]
    private static partial Regex Numbers();
}
