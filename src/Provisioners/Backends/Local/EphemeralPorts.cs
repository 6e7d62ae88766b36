namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// The ports the kernel hands to outgoing connections (net.ipv4.ip_local_port_range, less ip_local_reserved_ports).
/// A dedicated server's port must not be one of them: while the server restarts (a resize, a setting), any client
/// socket on the machine may be given that port and hold it for as long as its connection lives, and the server cannot
/// listen again (a chaos run saw an update fail "Address already in use" for 30 s on a port in 32768..60999).
/// </summary>
public sealed record EphemeralPorts(int First, int Last, IReadOnlySet<int> Reserved)
{
    private const string RangeFile = "/proc/sys/net/ipv4/ip_local_port_range";
    private const string ReservedFile = "/proc/sys/net/ipv4/ip_local_reserved_ports";

    /// <summary>This machine's, or null where the kernel does not say (not Linux).</summary>
    public static EphemeralPorts? OfThisMachine() =>
        File.Exists(RangeFile)
            ? Parse(File.ReadAllText(RangeFile), File.Exists(ReservedFile) ? File.ReadAllText(ReservedFile) : "")
            : null;

    /// <param name="range">"32768\t60999", as the kernel writes it.</param>
    /// <param name="reserved">"8080,30000-30999", as the kernel writes it (empty: none).</param>
    public static EphemeralPorts Parse(string range, string reserved)
    {
        var bounds = range.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        if (bounds.Length != 2) throw new FormatException($"'{range.Trim()}' is not a port range");
        var ports = new HashSet<int>();
        foreach (var item in reserved.Split((char[])[',', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var ends = item.Split('-');
            var (first, last) = (int.Parse(ends[0]), int.Parse(ends[^1]));
            for (var port = first; port <= last; port++) ports.Add(port);
        }
        return new EphemeralPorts(bounds[0], bounds[1], ports);
    }

    /// <summary>How many ports of <paramref name="start"/>..<paramref name="end"/> the kernel may give a client socket.</summary>
    public int CountIn(int start, int end)
    {
        var count = 0;
        for (var port = Math.Max(start, First); port <= Math.Min(end, Last); port++)
            if (!Reserved.Contains(port)) count++;
        return count;
    }

    public override string ToString() => $"{First}..{Last}" + (Reserved.Count > 0 ? $" less {Reserved.Count} reserved" : "");
}
