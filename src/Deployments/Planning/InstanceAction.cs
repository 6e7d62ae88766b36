using EventSourced.Deployments.Model;
using EventSourced.Deployments.Placement;

namespace EventSourced.Deployments.Planning;

/// <summary>What happens to one instance, from least to most disruptive. A reload keeps the process, a restart
/// keeps the VM, a recreate replaces the VM (moving the persistent disk to the new one).</summary>
public enum ActionKind { Keep, Reload, Restart, Recreate, Create, Delete }

/// <summary>One instance's action with the reasons for it (each changed thing, so a dry run explains itself).
/// <see cref="Target"/> is where it will be (null for a delete), <see cref="Current"/> where it is (null for a create).</summary>
public sealed record InstanceAction(string Group, int Index, ActionKind Kind, IReadOnlyList<string> Reasons,
    PlacedInstance? Target, ActualInstance? Current, string? VmType = null, string? DiskType = null)
{
    public string Id => $"{Group}/{Index}";
    public override string ToString() => $"{Id} {Kind.ToString().ToLowerInvariant()}{(Reasons.Count > 0 ? $" ({string.Join("; ", Reasons)})" : "")}";
}
