using EventSourced.Deployments.Model;
using EventSourced.Deployments.Placement;

namespace EventSourced.Deployments.Planning;

/// <summary>Diffs a manifest against what runs and decides, per instance, the least disruptive action that reaches
/// it: keep, reload or restart in place, recreate (vm type, disk type, a job version, an address, a move, or a
/// property whose rule demands it), create, delete. Pure: placement failures come back as the plan's failures, with
/// no action planned.</summary>
public static class Planner
{
    /// <param name="recreate">When given, every existing instance is recreated, for this reason, whatever else changes (BOSH's recreate).</param>
    public static DeploymentPlan Plan(DeploymentManifest manifest, CloudConfig cloud, ActualDeployment actual,
        PropertyRules? rules = null, IReadOnlySet<string>? addressesTakenElsewhere = null, string? recreate = null)
    {
        rules ??= PropertyRules.RestartOnAnyChange;
        var placement = Placer.Place(manifest, cloud, actual, addressesTakenElsewhere);
        if (!placement.Succeeded) return new DeploymentPlan(manifest.Name, [], placement.Failures);

        var groups = new List<GroupPlan>();
        foreach (var group in manifest.InstanceGroups)
        {
            var current = actual.Instances.Where(i => i.Group == group.Name).ToDictionary(i => i.Index);
            var targets = placement.Instances.Where(p => p.Group == group.Name).ToList();
            var changes = targets.Select(t => Diff(group, t, current.GetValueOrDefault(t.Index), rules, recreate) with
            {
                VmType = group.VmType, DiskType = group.PersistentDiskType,
            }).ToList();
            var deletes = current.Values.Where(c => targets.All(t => t.Index != c.Index)).OrderBy(c => c.Index)
                .Select(c => new InstanceAction(group.Name, c.Index, ActionKind.Delete, ["not desired"], null, c));
            groups.Add(Group(group.Name, group.Update, group.Instances, current.Count, deletes, changes));
        }
        foreach (var gone in actual.Instances.Where(i => manifest.Group(i.Group) is null).GroupBy(i => i.Group))
            groups.Add(Group(gone.Key, manifest.Update, 0, gone.Count(),
                gone.OrderBy(i => i.Index).Select(c => new InstanceAction(c.Group, c.Index, ActionKind.Delete, ["instance group removed"], null, c)), []));
        return new DeploymentPlan(manifest.Name, groups, []);
    }

    private static GroupPlan Group(string name, UpdatePolicy update, int desired, int current,
        IEnumerable<InstanceAction> deletes, List<InstanceAction> targets)
    {
        // Existing instances before new ones (a canary proves the update on something that ran before), by index.
        var changing = targets.Where(a => a.Kind != ActionKind.Keep).OrderBy(a => a.Kind == ActionKind.Create).ThenBy(a => a.Index).ToList();
        var kept = targets.Where(a => a.Kind == ActionKind.Keep).OrderBy(a => a.Index);
        var actions = deletes.Concat(changing).Concat(kept).ToList();
        return new GroupPlan(name, update, desired, current, actions, Math.Min(update.Canaries, changing.Count),
            update.MaxInFlight.For(Math.Max(desired, 1)));
    }

    private static InstanceAction Diff(InstanceGroup group, PlacedInstance target, ActualInstance? current, PropertyRules rules, string? forced)
    {
        if (current is null) return new InstanceAction(group.Name, target.Index, ActionKind.Create, [$"new in {target.Az}"], target, null);
        var recreate = new List<string>();
        if (forced is not null) recreate.Add(forced);
        if (current.Az != target.Az) recreate.Add($"moves from AZ {current.Az} to {target.Az}");
        else if (current.Host != target.Host) recreate.Add($"moves from host {current.Host} to {target.Host}");
        if (current.Address != target.Address) recreate.Add($"address {current.Address} → {target.Address}");
        if (current.VmType != group.VmType) recreate.Add($"vm_type {current.VmType} → {group.VmType}");
        if (current.DiskType != group.PersistentDiskType)
            recreate.Add($"persistent_disk_type {current.DiskType ?? "none"} → {group.PersistentDiskType ?? "none"}");
        var versions = group.Jobs.ToDictionary(j => j.Name, j => j.Version);
        foreach (var job in versions.Keys.Union(current.JobVersions.Keys).Order(StringComparer.Ordinal))
        {
            var was = current.JobVersions.GetValueOrDefault(job);
            var will = versions.GetValueOrDefault(job);
            if (was != will) recreate.Add($"job {job} {was ?? "absent"} → {will ?? "removed"}");
        }

        var desired = Properties(group);
        var inPlace = new List<(ActionKind Effect, string Reason)>();
        foreach (var key in desired.Keys.Union(current.Properties.Keys).Order(StringComparer.Ordinal))
        {
            if (desired.GetValueOrDefault(key) == current.Properties.GetValueOrDefault(key)) continue;
            var dot = key.IndexOf('.');
            var effect = rules.For(key[..Math.Max(dot, 0)], key[(dot + 1)..]);
            var reason = $"property {key}";
            if (effect == ActionKind.Recreate) recreate.Add(reason);
            else inPlace.Add((effect is ActionKind.Reload ? ActionKind.Reload : ActionKind.Restart, reason));
        }
        if (recreate.Count > 0) return new InstanceAction(group.Name, target.Index, ActionKind.Recreate, recreate, target, current);
        if (inPlace.Count == 0) return new InstanceAction(group.Name, target.Index, ActionKind.Keep, [], target, current);
        var kind = inPlace.Any(p => p.Effect == ActionKind.Restart) ? ActionKind.Restart : ActionKind.Reload;
        return new InstanceAction(group.Name, target.Index, kind, inPlace.Select(p => p.Reason).ToList(), target, current);
    }

    /// <summary>A group's properties as an instance records them: <c>job.path</c> → value.</summary>
    public static IReadOnlyDictionary<string, string> Properties(InstanceGroup group) =>
        group.Jobs.SelectMany(j => j.Properties.Select(p => (Key: $"{j.Name}.{p.Key}", p.Value))).ToDictionary(p => p.Key, p => p.Value);

    /// <summary>The instance the backend runs once <paramref name="target"/> is applied: what the next plan diffs against.</summary>
    public static ActualInstance Applied(InstanceGroup group, PlacedInstance target, string? vmId = null) =>
        new(group.Name, target.Index, target.Az, target.Host, target.Address, group.VmType, group.PersistentDiskType,
            group.Jobs.ToDictionary(j => j.Name, j => j.Version), Properties(group), vmId);

    /// <summary>What runs once <paramref name="plan"/> has been applied: the actual state the next plan starts from.
    /// <paramref name="vms"/>: the VM each instance ended on (from the execution), else the VM it had.</summary>
    public static ActualDeployment Outcome(DeploymentManifest manifest, DeploymentPlan plan, IReadOnlyDictionary<string, string>? vms = null) =>
        new(plan.Groups.SelectMany(g => g.Actions).Where(a => a.Kind != ActionKind.Delete)
            .Select(a => Applied(manifest.Group(a.Group)!, a.Target!, vms?.GetValueOrDefault(a.Id) ?? a.Current?.VmId)).ToList());
}
