using EventSourced.Deployments.Execution;
using EventSourced.Deployments.Model;
using EventSourced.Deployments.Planning;
using EventSourced.Deployments.Simulation;

namespace EventSourced.Deployments.Tests.Execution;

/// <summary>A plan run on the simulated backend in virtual time, with what the backend recorded.</summary>
public sealed record Rollout(DeploymentPlan Plan, ExecutionResult Result, SimulatedBackend Backend)
{
    public static Rollout Run(DeploymentManifest manifest, CloudConfig cloud, ActualDeployment actual, StepTimes times,
        int hostCapacity = int.MaxValue, Func<string, string, string?>? fail = null, PropertyRules? rules = null)
    {
        var plan = Planner.Plan(manifest, cloud, actual, rules);
        Assert.True(plan.Succeeded, string.Join("; ", plan.Failures));
        var time = new VirtualTime();
        var backend = new SimulatedBackend(time, times, actual, hostCapacity);
        if (fail is not null) backend.Fail = fail;
        var result = time.Run(() => new DeploymentExecutor(backend, time).Execute(plan));
        return new Rollout(plan, result, backend);
    }

    /// <summary>For each instance, its in-flight interval: from its first drain (or reload) to its last post-start.</summary>
    public IReadOnlyList<(string Instance, string Group, TimeSpan From, TimeSpan To)> InFlight() =>
        Backend.Events.Where(e => e.Step is not null && e.Step != LifecycleStep.UpdateArtifacts).GroupBy(e => e.Instance)
            .Select(g => (g.Key, g.First().Group, g.Min(e => e.At), g.Max(e => e.At))).ToList();

    /// <summary>The most instances of <paramref name="group"/> in flight at one instant (intervals closed at both ends
    /// would count a handover at the same instant twice; a slot freed at t and taken at t is one).</summary>
    public int MaxInFlight(string group)
    {
        var edges = InFlight().Where(i => i.Group == group)
            .SelectMany(i => new[] { (At: i.From, Delta: 1), (At: i.To, Delta: -1) })
            .OrderBy(e => e.At).ThenBy(e => e.Delta);
        int current = 0, max = 0;
        foreach (var edge in edges) max = Math.Max(max, current += edge.Delta);
        return max;
    }
}
