namespace EventSourced.Deployments.Model;

/// <summary>An instance as it runs now: where (AZ, host, address) and what (vm type, disk, job versions,
/// properties as <c>job.path</c> keys). The planner diffs the manifest against these.</summary>
public sealed record ActualInstance(
    string Group,
    int Index,
    string Az,
    string Host,
    string Address,
    string VmType,
    string? DiskType,
    IReadOnlyDictionary<string, string> JobVersions,
    IReadOnlyDictionary<string, string> Properties,
    string? VmId = null)
{
    public string Id => $"{Group}/{Index}";
    public string Vm => VmId ?? $"{Id}#0";
}

/// <summary>What the backend runs for one deployment (empty before its first deploy).</summary>
public sealed record ActualDeployment(IReadOnlyList<ActualInstance> Instances)
{
    public static readonly ActualDeployment Empty = new([]);
}
