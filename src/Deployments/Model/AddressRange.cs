using System.Globalization;
using System.Net;

namespace EventSourced.Deployments.Model;

/// <summary>Address entries as written in a cloud config: <c>10.0.1.10</c>, <c>10.0.1.10-10.0.1.50</c>,
/// <c>10.0.1.0/28</c> (network and broadcast left out), <c>127.0.0.1:6000</c> or <c>127.0.0.1:6000-6099</c> (loopback
/// ports, the local backend's addresses). Expanded in order; a range is capped so that a typo cannot allocate millions.</summary>
public static class AddressRange
{
    public const int MaxAddresses = 65_536;

    public static bool TryExpand(string text, out List<string> addresses, out string error)
    {
        addresses = [];
        error = "";
        text = text.Trim();
        var colon = text.LastIndexOf(':');
        if (colon > 0)
        {
            var host = text[..colon];
            if (!IPAddress.TryParse(host, out _) && Uri.CheckHostName(host) != UriHostNameType.Dns)
                return Fail(out error, $"'{host}' is not a host");
            if (!Range(text[(colon + 1)..], 1, 65535, out var first, out var last, out error)) return false;
            for (var port = first; port <= last; port++) addresses.Add($"{host}:{port}");
            return true;
        }
        var slash = text.IndexOf('/');
        if (slash > 0)
        {
            if (!Ipv4(text[..slash], out var network) ||
                !int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var bits) || bits is < 16 or > 30)
                return Fail(out error, $"'{text}' is not an IPv4 CIDR between /16 and /30");
            var size = 1u << (32 - bits);
            var start = network & ~(size - 1);
            for (var a = start + 1; a < start + size - 1; a++) addresses.Add(Format(a));
            return true;
        }
        var dash = text.IndexOf('-');
        if (dash > 0)
        {
            if (!Ipv4(text[..dash], out var from) || !Ipv4(text[(dash + 1)..], out var to))
                return Fail(out error, $"'{text}' is not an IPv4 range a.b.c.d-e.f.g.h");
            if (to < from) return Fail(out error, $"'{text}' ends before it starts");
            if (to - from >= MaxAddresses) return Fail(out error, $"'{text}' holds more than {MaxAddresses:N0} addresses");
            for (var a = from; a <= to; a++) addresses.Add(Format(a));
            return true;
        }
        if (!Ipv4(text, out var single)) return Fail(out error, $"'{text}' is not an address (a.b.c.d, a range, a CIDR, or host:port)");
        addresses.Add(Format(single));
        return true;
    }

    private static bool Range(string text, int min, int max, out int first, out int last, out string error)
    {
        var parts = text.Split('-');
        first = last = 0;
        error = "";
        if (parts.Length > 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out first) ||
            !int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out last) || first < min || last > max || last < first)
            return Fail(out error, $"'{text}' is not a port or port range within {min}-{max}");
        if (last - first >= MaxAddresses) return Fail(out error, $"'{text}' holds more than {MaxAddresses:N0} ports");
        return true;
    }

    private static bool Ipv4(string text, out uint value)
    {
        value = 0;
        var parts = text.Split('.');
        if (parts.Length != 4) return false;
        foreach (var part in parts)
        {
            if (!byte.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var b)) return false;
            value = (value << 8) | b;
        }
        return true;
    }

    private static string Format(uint a) => $"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}";

    private static bool Fail(out string error, string message)
    {
        error = message;
        return false;
    }
}
