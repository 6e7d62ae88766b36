using EventSourced.Deployments.Model;

namespace EventSourced.Deployments.Placement;

/// <summary>Places a manifest's instances, pure: the same inputs give the same placement.
/// <list type="bullet">
/// <item>Each group's instances are spread evenly over its AZs (counts differ by at most one); a group spread with
/// others (<see cref="InstanceGroup.SpreadWith"/>) counts their instances in each AZ as its own, so together they are
/// even and every AZ has one as soon as there are as many instances as AZs.</item>
/// <item>An existing instance keeps its AZ, host and address unless its AZ is over its share: the AZs with most
/// instances already get the larger shares, so removing an AZ moves only its instances, and a balanced group whose
/// AZs did not change moves nothing.</item>
/// <item>New and moved instances go to the least loaded host of their AZ, and get the first free address of the AZ's
/// subnet (never reserved, static only for groups naming them, never one another instance holds or held before this plan).</item>
/// </list>
/// Addresses of instances that stay are claimed for all groups first, so a new instance never takes one.</summary>
public static class Placer
{
    public static PlacementResult Place(DeploymentManifest manifest, CloudConfig cloud, ActualDeployment actual,
        IReadOnlySet<string>? addressesTakenElsewhere = null)
    {
        var failures = new List<string>();
        var taken = new HashSet<string>(addressesTakenElsewhere ?? new HashSet<string>());
        // Every address in use now stays out of allocation for this plan: an instance moved or deleted may still hold
        // its address while a new one starts (create-swap-delete, or a group rolled before the other), and two
        // instances must never hold one address even for a moment.
        var inUse = actual.Instances.Select(i => i.Address).ToHashSet();
        var hostLoad = new Dictionary<string, int>();
        var decisions = new List<(InstanceGroup Group, int Index, string Az, string? Host, ActualInstance? Was, PlacementKind Kind)>();

        foreach (var group in manifest.InstanceGroups)
        {
            var counted = decisions.Where(d => group.SpreadWith?.Contains(d.Group.Name) == true).GroupBy(d => d.Az).ToDictionary(g => g.Key, g => g.Count());
            decisions.AddRange(Spread(group, cloud, actual.Instances.Where(i => i.Group == group.Name).OrderBy(i => i.Index).ToList(), counted));
        }

        var placed = new Dictionary<(string, int), PlacedInstance>();
        // Kept instances first: their hosts load the AZ's hosts and their addresses are claimed before allocation.
        foreach (var d in decisions.Where(d => d.Kind == PlacementKind.Kept))
        {
            hostLoad[d.Host!] = hostLoad.GetValueOrDefault(d.Host!) + 1;
            if (KeepsAddress(d.Group, cloud, d.Az, d.Was!.Address) && taken.Add(d.Was.Address))
                placed[(d.Group.Name, d.Index)] = new PlacedInstance(d.Group.Name, d.Index, d.Az, d.Host!, d.Was.Address, d.Kind);
        }
        foreach (var d in decisions.Where(d => !placed.ContainsKey((d.Group.Name, d.Index))))
        {
            var host = d.Host ?? cloud.Az(d.Az)!.Hosts.OrderBy(h => hostLoad.GetValueOrDefault(h)).First();
            if (d.Host is null) hostLoad[host] = hostLoad.GetValueOrDefault(host) + 1;
            var subnet = cloud.Network(d.Group.Network)!.For(d.Az)!;
            var candidates = d.Group.StaticAddresses.Count > 0
                ? d.Group.StaticAddresses.Where(subnet.Static.Contains)
                : subnet.Dynamic;
            var address = candidates.FirstOrDefault(a => !taken.Contains(a) && !inUse.Contains(a));
            if (address is null)
            {
                failures.Add($"instance group '{d.Group.Name}': no free {(d.Group.StaticAddresses.Count > 0 ? "static" : "dynamic")} address " +
                             $"in network '{d.Group.Network}' of AZ '{d.Az}' for instance {d.Group.Name}/{d.Index} " +
                             $"({candidates.Count()} addresses, all taken)");
                continue;
            }
            taken.Add(address);
            placed[(d.Group.Name, d.Index)] = new PlacedInstance(d.Group.Name, d.Index, d.Az, host, address, d.Kind);
        }
        var ordered = decisions.Where(d => placed.ContainsKey((d.Group.Name, d.Index))).Select(d => placed[(d.Group.Name, d.Index)])
            .OrderBy(p => manifest.InstanceGroups.ToList().FindIndex(g => g.Name == p.Group)).ThenBy(p => p.Index).ToList();
        return new PlacementResult(failures.Count == 0 ? ordered : [], failures.Distinct().ToList());
    }

    private static bool KeepsAddress(InstanceGroup group, CloudConfig cloud, string az, string address)
    {
        var subnet = cloud.Network(group.Network)?.For(az);
        if (subnet is null || !subnet.Range.Contains(address) || subnet.Reserved.Contains(address)) return false;
        return group.StaticAddresses.Count > 0 ? group.StaticAddresses.Contains(address) : !subnet.Static.Contains(address);
    }

    private static IEnumerable<(InstanceGroup, int, string, string?, ActualInstance?, PlacementKind)> Spread(
        InstanceGroup group, CloudConfig cloud, List<ActualInstance> existing, IReadOnlyDictionary<string, int> counted)
    {
        if (group.Instances == 0 || group.Azs.Count == 0) yield break;
        var eligible = existing.Where(i => group.Azs.Contains(i.Az) && cloud.Az(i.Az)?.Hosts.Contains(i.Host) == true).ToList();
        var perAz = group.Azs.ToDictionary(az => az, az => eligible.Where(i => i.Az == az).ToList());
        var others = group.Azs.ToDictionary(az => az, az => counted.GetValueOrDefault(az));
        // The AZs holding most (this group's and those counted with it) get the larger shares: what is there stays.
        var total = group.Instances + others.Values.Sum();
        var share = total / group.Azs.Count;
        var larger = total % group.Azs.Count;
        var ranked = group.Azs.Select((az, order) => (az, order))
            .OrderByDescending(x => perAz[x.az].Count + others[x.az]).ThenBy(x => x.order).Select(x => x.az).ToList();
        var targets = ranked.Select((az, rank) => (az, target: Math.Max(0, share + (rank < larger ? 1 : 0) - others[az])))
            .ToDictionary(x => x.az, x => x.target);
        // Fewer instances than AZs counted with others: the AZs ranked last give up what the group does not have.
        foreach (var az in Enumerable.Reverse(ranked))
            while (targets.Values.Sum() > group.Instances && targets[az] > 0) targets[az]--;

        var kept = group.Azs.SelectMany(az => perAz[az].Take(targets[az])).ToList();
        var keptIds = kept.Select(i => i.Index).ToHashSet();
        var movers = new Queue<ActualInstance>(existing.Where(i => !keptIds.Contains(i.Index)).OrderBy(i => i.Index)
            .Take(group.Instances - kept.Count));
        var used = existing.Select(i => i.Index).ToHashSet();
        var next = 0;
        foreach (var instance in kept) yield return (group, instance.Index, instance.Az, instance.Host, instance, PlacementKind.Kept);
        // Open slots are filled round-robin over the AZs, so consecutive indexes land in different AZs.
        var open = group.Azs.ToDictionary(az => az, az => targets[az] - perAz[az].Count(i => keptIds.Contains(i.Index)));
        while (open.Values.Any(o => o > 0))
            foreach (var az in group.Azs.Where(az => open[az] > 0))
            {
                open[az]--;
                if (movers.TryDequeue(out var mover))
                {
                    yield return (group, mover.Index, az, null, mover, PlacementKind.Moved);
                    continue;
                }
                while (used.Contains(next)) next++;
                used.Add(next);
                yield return (group, next, az, null, null, PlacementKind.New);
            }
    }
}
