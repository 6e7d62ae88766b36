using System.Globalization;

namespace EventSourced.Broker.Dashboard;

/// <summary>How the pages write times and sizes: UTC, to the second, the same on every page and for every reader.</summary>
public static class Formats
{
    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "—";

    /// <summary>The machine-readable form, for <c>&lt;time datetime&gt;</c>.</summary>
    public static string Iso(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Disk(int megabytes) =>
        megabytes >= 1024 && megabytes % 1024 == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{megabytes / 1024} GB")
            : string.Create(CultureInfo.InvariantCulture, $"{megabytes} MB");
}
