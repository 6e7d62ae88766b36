namespace EventSourced.Broker.Tests.Chaos;

/// <summary>
/// What one chaos run does, read from the environment: a failing run is replayed with its printed CHAOS_SEED, and
/// bench/chaos makes longer runs with larger counts. Without CHAOS_SEED every run draws a new seed, so ./test keeps
/// exploring new interleavings while each one stays reproducible.
/// </summary>
internal sealed record ChaosSettings(int Seed, int Provisions, int Updates, int KillsPerPhase, TimeSpan ConvergeTimeout, string? ReportFile)
{
    // The defaults keep the test within a few minutes on a loaded 2-core machine; 20/20 (the figures) and more
    // are a variable away.
    public const int DefaultProvisions = 8;
    public const int DefaultUpdates = 8;

    public static ChaosSettings FromEnvironment()
    {
        var provisions = Number("CHAOS_PROVISIONS") ?? DefaultProvisions;
        var updates = Number("CHAOS_UPDATES") ?? DefaultUpdates;
        return new ChaosSettings(
            Seed: Number("CHAOS_SEED") ?? Random.Shared.Next(1, 1_000_000),
            Provisions: provisions,
            Updates: updates,
            // Several kills per phase, more for larger runs: about one per three operations, at least three.
            KillsPerPhase: Number("CHAOS_KILLS") ?? Math.Max(3, Math.Max(provisions, updates) / 3),
            // Operations run one server start after another on a loaded machine: about 6 s each at most, 2 min at least.
            ConvergeTimeout: TimeSpan.FromSeconds(Number("CHAOS_CONVERGE_SECONDS") ?? Math.Max(120, 6 * Math.Max(provisions, updates))),
            ReportFile: Environment.GetEnvironmentVariable("CHAOS_REPORT") is { Length: > 0 } file ? file : null);
    }

    public override string ToString() =>
        $"CHAOS_SEED={Seed} CHAOS_PROVISIONS={Provisions} CHAOS_UPDATES={Updates} CHAOS_KILLS={KillsPerPhase} CHAOS_CONVERGE_SECONDS={ConvergeTimeout.TotalSeconds:0}";

    private static int? Number(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? int.TryParse(value, out var number) && number >= 0 ? number : throw new ArgumentException($"{name}={value} is not a count")
            : null;
}
