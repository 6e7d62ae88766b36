namespace EventSourced.Bench.Reporting;

/// <summary>One measured figure beside the limit the same machine reached in the same run.</summary>
/// <param name="HigherIsBetter">Whether ratio = value / limit (throughput) or limit / value (latency, time).</param>
public sealed record Comparison(
    string Name, double Value, string Unit, string LimitName, double? Limit, bool HigherIsBetter = true,
    string? Goal = null, bool? GoalMet = null)
{
    public double? Ratio => Limit is not > 0 || Value <= 0 ? null : HigherIsBetter ? Value / Limit : Limit / Value;
}

public sealed class ScenarioResult(string id, string title)
{
    public string Id { get; } = id;
    public string Title { get; } = title;
    public List<Comparison> Comparisons { get; } = [];
    public Dictionary<string, object?> Details { get; } = [];
    public List<string> Notes { get; } = [];
    public string? Error { get; set; }
}

public sealed record MachineInfo(
    string Host, int Cores, string CpuModel, double MemoryGb, string Os, string Dotnet, string Postgres, string PgBench, string RabbitMq,
    string Commit, double[] LoadAverageBefore, double[] LoadAverageAfter, string StartedAt, double Minutes, bool Quick);

public sealed class BenchResults
{
    public required MachineInfo Machine { get; set; }
    public List<ScenarioResult> Scenarios { get; } = [];
}
