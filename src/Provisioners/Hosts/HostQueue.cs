namespace EventSourced.Provisioners.Hosts;

/// <summary>The queue of a host's own sub-provisioners: commands for resources on that host, and only those.</summary>
public static class HostQueue
{
    public static string Name(string host) => $"host-{host}";

    public static Uri Address(string host) => new($"queue:{Name(host)}");
}
