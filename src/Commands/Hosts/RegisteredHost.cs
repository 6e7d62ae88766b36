namespace EventSourced.Commands.Hosts;

/// <summary>
/// A worker node as a host for local VMs, kept by its own heartbeat (<c>Provisioners:Host</c>). Operators see it; the
/// API places new instances on the live host with the most room.
/// </summary>
/// <param name="Id">The host's name, which also names its own queue.</param>
/// <param name="Capacity">How many instances it takes (servers with their disks); null: no limit.</param>
/// <param name="HeartbeatInterval">How often it beats (null: recorded before hosts said so, the default 10 s).</param>
public sealed record RegisteredHost(
    string Id, string? Az, int? Capacity, DateTimeOffset RegisteredAt, DateTimeOffset LastSeenAt, TimeSpan? HeartbeatInterval = null)
{
    public static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromSeconds(10);

    /// <summary>A host is gone once it missed three beats of its own interval.</summary>
    public TimeSpan Liveness => 3 * (HeartbeatInterval ?? DefaultHeartbeatInterval);

    public bool IsLive(DateTimeOffset now) => now - LastSeenAt <= Liveness;
}
