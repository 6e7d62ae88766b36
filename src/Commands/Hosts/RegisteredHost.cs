namespace EventSourced.Commands.Hosts;

/// <summary>
/// A worker node as a host for local VMs, kept by its own heartbeat (<c>Provisioners:Host</c>). Operators see it; the
/// API places new instances on the live host with the most room.
/// </summary>
/// <param name="Id">The host's name, which also names its own queue.</param>
/// <param name="Capacity">How many instances it takes (servers with their disks); null: no limit.</param>
public sealed record RegisteredHost(string Id, string? Az, int? Capacity, DateTimeOffset RegisteredAt, DateTimeOffset LastSeenAt)
{
    /// <summary>Beats more than this apart mean the node is gone (three missed beats of the default interval).</summary>
    public static readonly TimeSpan DefaultLiveness = TimeSpan.FromSeconds(30);

    public bool IsLive(DateTimeOffset now, TimeSpan? liveness = null) => now - LastSeenAt <= (liveness ?? DefaultLiveness);
}
