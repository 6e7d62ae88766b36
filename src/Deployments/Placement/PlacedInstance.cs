namespace EventSourced.Deployments.Placement;

/// <summary>Where a desired instance goes. <see cref="Kept"/>: same AZ and host as now (the address may still have
/// changed if its network did); <see cref="Moved"/>: an existing instance that must go elsewhere (its AZ left the
/// group, its host left the AZ, or the AZs are rebalanced).</summary>
public sealed record PlacedInstance(string Group, int Index, string Az, string Host, string Address, PlacementKind Kind)
{
    public string Id => $"{Group}/{Index}";
}

public enum PlacementKind { New, Kept, Moved }

/// <summary>The placement of every desired instance, or why it cannot be done. A failure is found before any action
/// is planned, so an exhausted network changes nothing.</summary>
public sealed record PlacementResult(IReadOnlyList<PlacedInstance> Instances, IReadOnlyList<string> Failures)
{
    public bool Succeeded => Failures.Count == 0;
}
