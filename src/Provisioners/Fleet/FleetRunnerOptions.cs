namespace EventSourced.Provisioners.Fleet;

/// <summary>Settings of the fleet runner ("Provisioners:Fleet").</summary>
public sealed class FleetRunnerOptions
{
    public const string Section = "Provisioners:Fleet";

    /// <summary>How often a worker looks at the fleet run in progress: what ended, what may start.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);
}
