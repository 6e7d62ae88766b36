using System.Text;
using EventSourced.Deployments.Execution;
using EventSourced.Deployments.Model;
using EventSourced.Deployments.Planning;
using EventSourced.Deployments.Simulation;

namespace EventSourced.Deployments.DryRun;

/// <summary>What an update would do, answered before it is done: the plan's per-instance actions and strategy per
/// group, and the peak VM count and duration it would reach, estimated by running the plan on a simulated backend in
/// virtual time with the given step times (the backend's recorded ones, when the engine has them).</summary>
public sealed record DryRunReport(DeploymentPlan Plan, TimeSpan EstimatedDuration, int PeakVms, IReadOnlyDictionary<string, int> PeakVmsByGroup)
{
    /// <summary>The settings a change of VM type brings along, as the backend maps VM types (the local backend: memory settings).</summary>
    public IReadOnlyList<string> VmTypeSettings { get; init; } = [];

    public static DryRunReport Of(DeploymentPlan plan, ActualDeployment actual, StepTimes times)
    {
        if (!plan.Succeeded) return new DryRunReport(plan, TimeSpan.Zero, actual.Instances.Count, new Dictionary<string, int>());
        var time = new VirtualTime();
        var backend = new SimulatedBackend(time, times, actual);
        var result = time.Run(() => new DeploymentExecutor(backend, time).Execute(plan));
        return new DryRunReport(plan, result.Converged - result.Started, backend.PeakVms(),
            plan.Groups.ToDictionary(g => g.Group, g => backend.PeakVms(g.Group)));
    }

    /// <summary>Where the instance will run (where it ran, for a delete): its AZ, host and address.</summary>
    private static string Where(InstanceAction action) =>
        action.Target is { } target ? $", in AZ {target.Az} on host {target.Host} at {target.Address}"
        : action.Current is { } current ? $", was in AZ {current.Az} on host {current.Host} at {current.Address}"
        : "";

    public string Render()
    {
        var text = new StringBuilder();
        text.AppendLine($"Deployment {Plan.Deployment}: dry run, nothing changed.");
        if (!Plan.Succeeded)
        {
            text.AppendLine("The update cannot be done:");
            foreach (var failure in Plan.Failures) text.AppendLine($"  - {failure}");
            return text.ToString();
        }
        foreach (var group in Plan.Groups)
        {
            var strategy = group.Strategy == UpdateStrategy.CreateSwapDelete ? $"{group.StrategyName} (surge {group.Surge})" : group.StrategyName;
            text.AppendLine($"Instance group {group.Group}: {group.Current} → {group.Desired} instances, {strategy}, " +
                            $"canaries {group.Canaries}, max_in_flight {group.MaxInFlight}, peak {PeakVmsByGroup.GetValueOrDefault(group.Group)} VMs");
            var changed = group.Actions.Where(a => a.Kind != ActionKind.Keep).ToList();
            for (var i = 0; i < changed.Count; i++)
            {
                var canary = group.IsCanary(changed[i]) ? " [canary]" : "";
                text.AppendLine($"  - {changed[i]}{canary}{Where(changed[i])}");
            }
            var unchanged = group.Actions.Where(a => a.Kind == ActionKind.Keep).ToList();
            if (unchanged.Count > 0)
                text.AppendLine($"  - {unchanged.Count} unchanged: {string.Join("; ", unchanged.Select(a => a.Id + Where(a)))}");
        }
        if (VmTypeSettings.Count > 0) text.AppendLine($"Settings the vm_type changes: {string.Join("; ", VmTypeSettings)}.");
        text.AppendLine($"Peak VMs: {PeakVms}. Estimated duration: {EstimatedDuration.TotalSeconds:0.#} s (simulated with the given step times).");
        return text.ToString();
    }
}
