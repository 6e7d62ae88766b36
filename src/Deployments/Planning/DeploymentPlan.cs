using EventSourced.Deployments.Model;

namespace EventSourced.Deployments.Planning;

/// <summary>One group's part of a plan: its actions in execution order (deletes first, then canaries, then the
/// rest), the strategy its recreates use, and the bounds the executor keeps.</summary>
public sealed record GroupPlan(
    string Group,
    UpdatePolicy Update,
    int Desired,
    int Current,
    IReadOnlyList<InstanceAction> Actions,
    int Canaries,
    int MaxInFlight)
{
    public UpdateStrategy Strategy => Update.Strategy;

    /// <summary>VMs above the desired count allowed at any instant: the surge for create-swap-delete, none for delete-create.</summary>
    public int Surge => Strategy == UpdateStrategy.CreateSwapDelete ? Update.Surge!.Value : 0;

    public IReadOnlyList<InstanceAction> Deletes => Actions.Where(a => a.Kind == ActionKind.Delete).ToList();
    public IReadOnlyList<InstanceAction> Changes => Actions.Where(a => a.Kind is not (ActionKind.Delete or ActionKind.Keep)).ToList();

    /// <summary>The first <see cref="Canaries"/> changes go first, alone: nothing else is touched until they succeeded.</summary>
    public bool IsCanary(InstanceAction action) => Changes.Take(Canaries).Contains(action);

    /// <summary>The strategy as seed 002 names it.</summary>
    public string StrategyName => Strategy == UpdateStrategy.CreateSwapDelete ? "create-swap-delete" : "delete-create";

    /// <summary>The most VMs this group may hold at once: the larger of now and desired, plus the surge.</summary>
    public int PeakBound => Math.Max(Desired, Current) + Surge;
}

/// <summary>A deployment's plan: groups in stages (a stage's groups run together; a serial group starts a new stage),
/// or the failures that stop it before anything changes.</summary>
public sealed record DeploymentPlan(string Deployment, IReadOnlyList<GroupPlan> Groups, IReadOnlyList<string> Failures)
{
    public bool Succeeded => Failures.Count == 0;

    public IReadOnlyList<IReadOnlyList<GroupPlan>> Stages
    {
        get
        {
            var stages = new List<List<GroupPlan>>();
            foreach (var group in Groups)
                if (stages.Count == 0 || group.Update.Serial) stages.Add([group]);
                else stages[^1].Add(group);
            return stages;
        }
    }
}
