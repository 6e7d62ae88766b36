using System.Text.Json;
using System.Text.Json.Nodes;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>
/// What the <c>backup</c> parameter asks: scheduled backups on (with a schedule) or off, and how many to keep. A null
/// field keeps what the instance has; <c>"backup": null</c> switches them off.
/// </summary>
public sealed record BackupSettings(bool Enabled, string? Schedule, int? Retain);

/// <summary>
/// The <c>backup</c> parameter of a provision or an update (<c>{"enabled": bool, "schedule": "&lt;cron&gt;", "retain": n}</c>):
/// an optional component of the instance, not a setting of its server, so it is taken out of the parameters (an update
/// that only changes it needs no operation) and recorded as <see cref="BackupScheduleSet"/> / <see cref="BackupScheduleCleared"/>.
/// Its shape is the plan schema's to check; the cron expression and its presence when enabled are checked here.
/// </summary>
public static class BackupParameter
{
    public const string Name = "backup";

    /// <returns>The settings asked for (null: the parameter is absent), the other parameters (null: none left), or why it is refused.</returns>
    public static (BackupSettings? Settings, string? Others, string? Error) Take(string? parameters)
    {
        if (string.IsNullOrWhiteSpace(parameters) || JsonNode.Parse(parameters) is not JsonObject all || !all.TryGetPropertyValue(Name, out var value))
            return (null, parameters, null);
        all.Remove(Name);
        var others = all.Count == 0 ? null : all.ToJsonString();
        if (value is null) return (new BackupSettings(false, null, null), others, null);
        if (value is not JsonObject backup) return (null, parameters, $"parameters.{Name} must be an object {{enabled, schedule, retain}} (not {value.ToJsonString()}).");
        foreach (var (key, _) in backup)
            if (key is not ("enabled" or "schedule" or "retain"))
                return (null, parameters, $"parameters.{Name} has an unknown key '{key}' (it takes enabled, schedule and retain).");
        if (backup["enabled"] is not JsonValue enabledValue || enabledValue.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            return (null, parameters, $"parameters.{Name}.enabled must be true or false.");
        string? schedule = null;
        if (backup["schedule"] is { } scheduleValue)
        {
            if (scheduleValue.GetValueKind() != JsonValueKind.String) return (null, parameters, $"parameters.{Name}.schedule must be a cron expression string.");
            schedule = scheduleValue.GetValue<string>().Trim();
            if (!BackupCron.TryParse(schedule, out _, out var cronError)) return (null, parameters, $"parameters.{Name}.schedule {cronError}");
        }
        int? retain = null;
        if (backup["retain"] is { } retainValue)
        {
            if (retainValue.GetValueKind() != JsonValueKind.Number || !retainValue.AsValue().TryGetValue<int>(out var count) || count < 1)
                return (null, parameters, $"parameters.{Name}.retain must be a whole number of at least 1 (not {retainValue.ToJsonString()}).");
            retain = count;
        }
        var enabled = enabledValue.GetValue<bool>();
        return (new BackupSettings(enabled, schedule, retain), others, null);
    }

    /// <summary>Why the settings cannot apply to an instance with these backups (enabled without any schedule), or null.</summary>
    public static string? Refusal(BackupSettings settings, InstanceBackups current) =>
        settings.Enabled && (settings.Schedule ?? current.Schedule) is null
            ? $"parameters.{Name}.schedule is required to enable backups (a 5-field cron expression, UTC, e.g. \"0 3 * * *\")."
            : null;

    /// <summary>The event that records the settings, or null when they change nothing.</summary>
    public static Commands.EventStore.IDomainEvent? Change(Guid instanceId, BackupSettings settings, InstanceBackups current, DateTimeOffset now)
    {
        var retain = settings.Retain ?? current.Retain ?? DefaultRetain;
        if (settings.Enabled)
        {
            var schedule = settings.Schedule ?? current.Schedule!;
            return current.Enabled && current.Schedule == schedule && current.Retain == retain ? null : new BackupScheduleSet(instanceId, schedule, retain, now);
        }
        return !current.Enabled && (current.Retain == retain || current.Retain is null && settings.Retain is null) ? null : new BackupScheduleCleared(instanceId, retain, now);
    }

    /// <summary>How many backups are kept when scheduled backups are switched on without a <c>retain</c>.</summary>
    public const int DefaultRetain = 7;
}
