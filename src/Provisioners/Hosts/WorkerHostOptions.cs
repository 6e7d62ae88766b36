using System.Text.RegularExpressions;
using EventSourced.Commands.Hosts;

namespace EventSourced.Provisioners.Hosts;

/// <summary>
/// This worker node as a host for local VMs (<c>Provisioners:Host</c>). Every node of a multi-node local deployment
/// needs a name of its own: the commands for an instance go to the queue of the host its disk lives on.
/// </summary>
public sealed partial class WorkerHostOptions
{
    public const string Section = "Provisioners:Host";

    /// <summary>Lower-case letters, digits and dashes, at most 63; the machine's name when not set.</summary>
    public string Name { get; set; } = DefaultName();

    /// <summary>The availability zone the host is in, as the operator names it (optional).</summary>
    public string? Az { get; set; }

    /// <summary>How many instances the host takes; placement skips a full host. Unset: no limit.</summary>
    public int? Capacity { get; set; }

    /// <summary>How often the host beats; it counts as gone after three missed beats.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = RegisteredHost.DefaultHeartbeatInterval;

    /// <summary>
    /// How long a deploy waits for another host to carry out a step of a replica living there (a pg_basebackup of the
    /// whole primary among them); a host down that long fails the step.
    /// </summary>
    public TimeSpan RemoteStepTimeout { get; set; } = TimeSpan.FromMinutes(10);

    public static bool IsValidName(string? name) => name is not null && ValidName().IsMatch(name);

    private static string DefaultName()
    {
        var cleaned = InvalidCharacters().Replace(Environment.MachineName.ToLowerInvariant(), "-").Trim('-');
        return cleaned.Length == 0 ? "host" : cleaned[..Math.Min(cleaned.Length, 63)];
    }

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex ValidName();

    [GeneratedRegex("[^a-z0-9-]+")]
    private static partial Regex InvalidCharacters();
}
