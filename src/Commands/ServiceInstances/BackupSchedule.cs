using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Cronos;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>A completed backup the instance still keeps (retention has not removed it), as its stream recorded it.</summary>
public sealed record KeptBackup(Guid BackupId, Guid OperationId, string Path, long SizeBytes, string Sha256, DateTimeOffset CompletedAt);

/// <summary>
/// The instance's backups as its stream has them: the schedule (null: never set), the latest slot taken (every slot is
/// taken once), and the completed backups not removed yet, oldest first.
/// </summary>
public sealed record InstanceBackups
{
    public static readonly InstanceBackups None = new();

    /// <summary>The 5-field cron (UTC) of scheduled backups, kept when they are switched off (for the next switch on).</summary>
    public string? Schedule { get; init; }
    public bool Enabled { get; init; }

    /// <summary>How many completed backups are kept; null: never set, every backup is kept.</summary>
    public int? Retain { get; init; }

    /// <summary>When the schedule was last set: slots before it are not due.</summary>
    public DateTimeOffset? SetAt { get; init; }

    /// <summary>The latest schedule slot a backup was started for.</summary>
    public DateTimeOffset? LastSlot { get; init; }

    public ImmutableList<KeptBackup> Kept { get; init; } = [];

    /// <summary>
    /// The slot of the schedule due at <paramref name="now"/>: the latest one after both the schedule's setting and the last
    /// slot taken, not later than now; null when none is (or backups are off). Slots missed while the instance was busy or
    /// no worker ran are not caught up one by one: only the latest is taken. Looked for at most 35 days back.
    /// </summary>
    public DateTimeOffset? DueSlot(DateTimeOffset now)
    {
        if (!Enabled || Schedule is null || SetAt is not { } set || !BackupCron.TryParse(Schedule, out var cron, out _)) return null;
        var from = LastSlot is { } last && last > set ? last : set;
        if (from < now.AddDays(-35)) from = now.AddDays(-35);
        if (from >= now) return null;
        DateTime? due = null;
        foreach (var slot in cron!.GetOccurrences(from.UtcDateTime, now.UtcDateTime, fromInclusive: false, toInclusive: true))
            due = slot;
        return due is { } at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
    }

    /// <summary>
    /// The first slot of the schedule after both its setting and the last slot taken (null when backups are off): the
    /// earliest time <see cref="DueSlot"/> can find one due, whatever the clock says then.
    /// </summary>
    public DateTimeOffset? NextSlot()
    {
        if (!Enabled || Schedule is null || SetAt is not { } set || !BackupCron.TryParse(Schedule, out var cron, out _)) return null;
        var from = LastSlot is { } last && last > set ? last : set;
        return cron!.GetNextOccurrence(from.UtcDateTime) is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null;
    }

    /// <summary>The kept backups retention removes: all but the newest <see cref="Retain"/>.</summary>
    [JsonIgnore]
    public IReadOnlyList<KeptBackup> BeyondRetention =>
        Retain is { } retain && Kept.Count > retain ? Kept.Take(Kept.Count - retain).ToList() : [];
}

/// <summary>Backup schedules: standard 5-field cron expressions (minute hour day-of-month month day-of-week), in UTC.</summary>
public static class BackupCron
{
    public static bool TryParse(string text, out CronExpression? cron, out string? error)
    {
        (cron, error) = (null, null);
        if (text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length != 5)
        {
            error = $"'{text}' is not a 5-field cron expression (minute hour day-of-month month day-of-week, UTC).";
            return false;
        }
        try
        {
            cron = CronExpression.Parse(text, CronFormat.Standard);
            return true;
        }
        catch (CronFormatException e)
        {
            error = $"'{text}' is not a valid cron expression: {e.Message}";
            return false;
        }
    }
}
