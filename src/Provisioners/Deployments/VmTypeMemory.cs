using EventSourced.Deployments.Model;

namespace EventSourced.Provisioners.Deployments;

/// <summary>
/// What a cloud config's <c>vm_types</c> RAM means to a PostgreSQL server on the local backend (issue 11: a VM type maps to
/// the server's memory settings), by the usual rules of thumb: <c>shared_buffers</c> a quarter of the RAM,
/// <c>effective_cache_size</c> three quarters (the planner's guess of the OS cache), <c>maintenance_work_mem</c> a sixteenth
/// (at most 2 GB: more does not speed up a vacuum or an index build). A VM type the cloud config does not list, or no cloud
/// config uploaded, maps to nothing: the server keeps the broker's defaults, as before VM types existed.
/// </summary>
public static class VmTypeMemory
{
    /// <summary>The settings a VM type brings, in MB.</summary>
    public static IReadOnlyDictionary<string, string> Of(VmType? vmType) => vmType is not { RamMb: var ram }
        ? new Dictionary<string, string>()
        : new Dictionary<string, string>
        {
            ["shared_buffers"] = $"{Math.Max(1, ram / 4)}MB",
            ["effective_cache_size"] = $"{Math.Max(1, ram * 3 / 4)}MB",
            ["maintenance_work_mem"] = $"{Math.Clamp(ram / 16, 1, 2048)}MB",
        };

    /// <summary>
    /// The server settings chosen for an instance: its VM type's, with its parameters' server settings over them (an
    /// explicit <c>shared_buffers</c> wins over the VM type's).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Chosen(VmType? vmType, IReadOnlyDictionary<string, string> parameters)
    {
        var chosen = new Dictionary<string, string>(Of(vmType));
        foreach (var (name, value) in parameters) chosen[name.ToLowerInvariant()] = value;
        return chosen;
    }

    /// <summary>
    /// The settings a change of VM type changes, as the dry run says them (<c>shared_buffers 32MB → 128MB</c>); a setting
    /// the instance's parameters give explicitly is not the VM type's to change.
    /// </summary>
    public static IReadOnlyList<string> Changes(VmType? from, VmType? to, IReadOnlyDictionary<string, string> parameters)
    {
        var (before, after) = (Of(from), Of(to));
        var explicitly = parameters.Keys.Select(k => k.ToLowerInvariant()).ToHashSet();
        return before.Keys.Union(after.Keys).Where(name => !explicitly.Contains(name)).Order(StringComparer.Ordinal)
            .Where(name => before.GetValueOrDefault(name) != after.GetValueOrDefault(name))
            .Select(name => $"{name} {before.GetValueOrDefault(name) ?? "default"} → {after.GetValueOrDefault(name) ?? "default"}")
            .ToList();
    }
}
