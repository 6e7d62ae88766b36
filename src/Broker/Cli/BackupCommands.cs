using System.CommandLine;
using System.Text.Json;
using EventSourced.Broker.Ops;
using Spectre.Console;

namespace EventSourced.Broker.Cli;

/// <summary>
/// <c>backups list|create|restore</c>: an instance's backups through the ops API. <c>create</c> and <c>restore</c> are jobs
/// followed step by step like <c>export</c>'s, with the same exit codes (0 succeeded, 1 failed, 2 refused, 3 unreachable,
/// credentials or timeout); <c>list</c> prints the schedule and the backups (0, or 2/3 as the others).
/// </summary>
public static class BackupCommands
{
    public static Command Backups() => new("backups", "An instance's backups: list them, take one now, restore one in place.") { List(), Create(), Restore() };

    private static Argument<string> Instance() => new("instance-id") { Description = "The instance (a GUID)." };

    private static Command List()
    {
        var instance = Instance();
        var command = new Command("list", "The instance's backup schedule and its backups, oldest first.")
            { instance, JobCommands.Url, JobCommands.Username, JobCommands.Password, JobCommands.Output };
        command.SetAction(async (parse, ct) =>
        {
            var json = parse.GetValue(JobCommands.Output) == "json";
            var (connected, notConnected) = JobCommands.Connect(parse);
            if (connected is null) return await Refused(notConnected!, 3, json);
            using var client = connected;
            try
            {
                var list = await client.Backups(parse.GetValue(instance)!, ct);
                if (json) Console.WriteLine(JsonSerializer.Serialize(list, OpsApi.Json));
                else Print(list);
                return 0;
            }
            catch (OpsApiRefusal refusal)
            {
                return await Refused($"backups list refused: {refusal.Description} ({(int)refusal.Status} {refusal.Error})",
                    refusal.Status is System.Net.HttpStatusCode.Unauthorized ? 3 : 2, json, refusal.Error);
            }
            catch (HttpRequestException e)
            {
                return await Refused($"The broker at {client.BaseAddress} cannot be reached: {e.Message}", 3, json);
            }
        });
        return command;
    }

    private static Command Create()
    {
        var instance = Instance();
        var command = new Command("create", "Take a backup of the instance now and follow the job.")
            { instance, JobCommands.Url, JobCommands.Username, JobCommands.Password, JobCommands.Output, JobCommands.Timeout };
        command.SetAction((parse, ct) => JobCommands.Run(parse, "backup", $"instances/{Uri.EscapeDataString(parse.GetValue(instance)!)}/backups", new { }, ct));
        return command;
    }

    private static Command Restore()
    {
        var instance = Instance();
        var backup = new Argument<string>("backup-id") { Description = "The backup to restore (as list or create printed it)." };
        var command = new Command("restore", "Restore a backup into the instance's database, in place, and follow the job.")
            { instance, backup, JobCommands.Url, JobCommands.Username, JobCommands.Password, JobCommands.Output, JobCommands.Timeout };
        command.SetAction((parse, ct) => JobCommands.Run(parse, "restore",
            $"instances/{Uri.EscapeDataString(parse.GetValue(instance)!)}/backups/{Uri.EscapeDataString(parse.GetValue(backup)!)}/restore", new { }, ct));
        return command;
    }

    private static void Print(BackupListView list)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (Console.IsOutputRedirected) console.Profile.Width = 500;
        var schedule = list.Schedule;
        console.MarkupLine(schedule.Enabled
            ? $"instance {list.InstanceId}: backups [green]on[/], schedule {Markup.Escape(schedule.Schedule ?? "")} (UTC), keeping {schedule.Retain}, next {schedule.NextAt:u}"
            : $"instance {list.InstanceId}: scheduled backups [grey]off[/]{(schedule.Retain is { } r ? $", keeping {r}" : "")}");
        foreach (var b in list.Backups)
            console.MarkupLine($"  {b.BackupId} {Markup.Escape(b.State),-11} {(b.ScheduledFor is { } slot ? $"scheduled {slot:u}" : "by an operator"),-30} "
                + $"{b.StartedAt:u} {(b.SizeBytes is { } size ? $"{size} bytes" : "")}{(b.Error is { } e ? $" {Markup.Escape(e)}" : "")}");
        if (list.Backups.Count == 0) console.MarkupLine("  (no backups)");
    }

    private static async Task<int> Refused(string message, int exitCode, bool json, string error = "CliError")
    {
        if (json) Console.WriteLine(JsonSerializer.Serialize(new OpsError(error, message), OpsApi.Json));
        await Console.Error.WriteLineAsync(message);
        return exitCode;
    }
}
