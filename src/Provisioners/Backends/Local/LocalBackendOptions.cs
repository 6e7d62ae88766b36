namespace EventSourced.Provisioners.Backends.Local;

/// <summary>Settings of the local backend, bound from "Provisioners:Local".</summary>
public sealed class LocalBackendOptions
{
    public const string SectionName = "Provisioners:Local";

    /// <summary>Holds one directory per service instance; the run-as user must be able to traverse every parent.</summary>
    public string DataRoot { get; set; } = "";
    public int PortRangeStart { get; set; } = 30000;
    public int PortRangeEnd { get; set; } = 30999;
    public string PostgresBinDirectory { get; set; } = NewestPostgresBinDirectory();

    /// <summary>PostgreSQL refuses to run as root: as root the servers run as this user; empty runs them as ourselves.</summary>
    public string? RunAsUser { get; set; } = Environment.IsPrivilegedProcess ? "postgres" : null;
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a deploy's drain step waits for the server's client transactions to end before it stops the server
    /// anyway (fast shutdown rolls back what is left), as a BOSH drain script would.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the Redis servers' binding users whose credential lifetime ended are turned off (Redis has no VALID UNTIL).</summary>
    public TimeSpan RedisLoginExpiryInterval { get; set; } = TimeSpan.FromSeconds(30);

    private static string NewestPostgresBinDirectory()
    {
        const string installs = "/usr/lib/postgresql";
        if (!Directory.Exists(installs)) return "";
        return Directory.GetDirectories(installs)
            .Select(dir => (Version: int.TryParse(Path.GetFileName(dir), out var major) ? major : -1, Bin: Path.Combine(dir, "bin")))
            .Where(install => install.Version >= 0 && File.Exists(Path.Combine(install.Bin, "pg_ctl")))
            .OrderByDescending(install => install.Version)
            .Select(install => install.Bin)
            .FirstOrDefault() ?? "";
    }
}
