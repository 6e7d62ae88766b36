using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Tests.Chaos;

/// <summary>A run's figures, printed and (with CHAOS_REPORT) written as JSON for bench/chaos.</summary>
internal sealed record ChaosFigures(
    int Seed, int Provisions, int Updates, int Kills, int KillsOfBrokerOnly, int KillsOfProcessTree, double MeanRestartSeconds,
    int Operations, int Succeeded, int Failed, int InProgress, int Resent, int ServerErrors,
    double? ProvisionConvergedSeconds, double? UpdateConvergedSeconds, int Violations, double DurationSeconds)
{
    public static ChaosFigures Of(ChaosSettings settings, PhaseFigures[] phases, IReadOnlyList<KillRecord> kills,
        IReadOnlyList<InstanceHistory> histories, IReadOnlyList<Violation> violations, ChaosRun run, TimeSpan duration)
    {
        var operations = histories.SelectMany(h => h.State.Operations).ToList();
        return new ChaosFigures(settings.Seed, settings.Provisions, settings.Updates, kills.Count,
            kills.Count(k => k.Spec.Scope == KillScope.Broker), kills.Count(k => k.Spec.Scope == KillScope.ProcessTree),
            kills.Count == 0 ? 0 : Math.Round(kills.Average(k => k.Restart.TotalSeconds), 1),
            operations.Count, operations.Count(o => o.State == OperationState.Succeeded), operations.Count(o => o.State == OperationState.Failed),
            operations.Count(o => o.InProgress), run.Resent, run.ServerErrors,
            Seconds(phases[0].Converged), Seconds(phases[1].Converged), violations.Count, Math.Round(duration.TotalSeconds, 1));
    }

    public override string ToString() =>
        $"chaos figures: seed {Seed}; {Provisions} provisions, {Updates} updates; {Kills} kills ({KillsOfBrokerOnly} broker only, " +
        $"{KillsOfProcessTree} with its process tree), restart {MeanRestartSeconds:0.0} s on average; {Operations} operations: " +
        $"{Succeeded} succeeded, {Failed} failed, {InProgress} in progress; {Resent} requests sent again, {ServerErrors} 5xx; " +
        $"converged {Show(ProvisionConvergedSeconds)} (provisions) / {Show(UpdateConvergedSeconds)} (updates) after the last restart; " +
        $"{Violations} violations; {DurationSeconds:0} s";

    private static double? Seconds(TimeSpan? span) => span is { } s ? Math.Round(s.TotalSeconds, 1) : null;

    private static string Show(double? seconds) => seconds is { } s ? $"{s:0.0} s" : "never";
}
