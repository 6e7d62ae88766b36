namespace EventSourced.Bench;

/// <summary>
/// How long and how much each scenario runs: the full run, or a smoke run (--quick) that only proves it works. With
/// --profile, the broker scenarios take a CPU sample in an extra, unmeasured pass.
/// </summary>
public sealed record BenchOptions(bool Quick, bool Profile = false, string ResultsDirectory = ".")
{
    public TimeSpan Warmup => Quick ? TimeSpan.FromSeconds(0.5) : TimeSpan.FromSeconds(2);
    public TimeSpan Duration => Quick ? TimeSpan.FromSeconds(1.5) : TimeSpan.FromSeconds(8);
    public TimeSpan DrainTimeout => Quick ? TimeSpan.FromSeconds(60) : TimeSpan.FromSeconds(240);
    public int EndToEndCount => Quick ? 100 : 1_000;
    public int HeldInstances => Quick ? 500 : 10_000;
    public int ReplayEvents => Quick ? 50_000 : 1_000_000;
}
