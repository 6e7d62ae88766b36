namespace EventSourced.Provisioners.Backups;

/// <summary>Settings of scheduled backups (section "Backups").</summary>
public sealed class BackupOptions
{
    public const string Section = "Backups";

    /// <summary>
    /// How often each worker looks for instances whose backup slot is due (and applies retention). A slot is taken within
    /// one interval after it comes; two workers never both take it.
    /// </summary>
    public TimeSpan SchedulerInterval { get; set; } = TimeSpan.FromSeconds(20);
}
