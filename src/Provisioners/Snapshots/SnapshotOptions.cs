namespace EventSourced.Provisioners.Snapshots;

/// <summary>Settings of exports and imports (section "Snapshots").</summary>
public sealed class SnapshotOptions
{
    public const string Section = "Snapshots";

    /// <summary>Where archives are written (one folder per export destination); default: <c>snapshots</c> under the local backend's DataRoot.</summary>
    public string Root { get; set; } = "";

    /// <summary>How long an export is kept when its request names no days to keep.</summary>
    public int DaysToKeep { get; set; } = 7;

    /// <summary>The most days an export may ask to be kept (ten years): a larger number is refused, not clamped.</summary>
    public int MaxDaysToKeep { get; set; } = 3650;

    /// <summary>How often expired snapshots are looked for and removed.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a download link stays valid.</summary>
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long pg_dump, pg_restore or redis-cli may run before it is killed (a hung tool must not hang its job), and how long
    /// a Redis import waits for the server to rewrite its append-only file from the snapshot.
    /// </summary>
    public TimeSpan ToolTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The snapshots root: <see cref="Root"/>, else <c>DataRoot/snapshots</c> (not an instance directory: its name is no GUID).</summary>
    public string RootOr(string? dataRoot) =>
        !string.IsNullOrWhiteSpace(Root) ? Root
        : !string.IsNullOrWhiteSpace(dataRoot) ? Path.Combine(dataRoot, "snapshots")
        : Path.Combine(Path.GetTempPath(), "broker-snapshots");
}
