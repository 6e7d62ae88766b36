using System.CommandLine;
using System.Text.Json;
using EventSourced.Broker.Ops;
using Spectre.Console;

namespace EventSourced.Broker.Cli;

/// <summary>
/// <c>upgrade-all</c> / <c>recreate-all [--canaries N] [--max-in-flight N]</c>, on-demand-service-broker's errands: starts a
/// fleet run through the ops API and follows it instance by instance until it ends. Exit code 0: every instance done; 1: the run failed
/// (a canary, or an instance after them); 2: the API refused it (another run in progress); 3: no broker, or the wait ran out.
/// </summary>
public static class FleetCommands
{
    private static readonly Option<int> Canaries = new("--canaries")
    {
        Description = "Instances done first, alone: if one fails the run stops and nothing else is touched.", DefaultValueFactory = _ => 1,
    };
    private static readonly Option<int> MaxInFlight = new("--max-in-flight")
    {
        Description = "Instances done at once after the canaries.", DefaultValueFactory = _ => 1,
    };
    private static readonly Option<string> Output = new("--output", "-o")
    {
        Description = "text (the instances as they change) or json (the finished run, for scripts).", DefaultValueFactory = _ => "text",
    };
    private static readonly Option<TimeSpan> Timeout = new("--timeout")
    {
        Description = "How long to wait for the run to end (e.g. 01:00:00).", DefaultValueFactory = _ => TimeSpan.FromHours(1),
    };

    static FleetCommands() => Output.AcceptOnlyFromAmong("text", "json");

    public static Command UpgradeAll() =>
        Create("upgrade-all", "Upgrade every instance whose plan names a newer release (maintenance_info), canaries first.");

    public static Command RecreateAll() =>
        Create("recreate-all", "Recreate the VMs of every instance with a server of its own (dedicated, clusters), data kept, canaries first.");

    private static Command Create(string kind, string description)
    {
        var command = new Command(kind, description)
            { Canaries, MaxInFlight, JobCommands.Url, JobCommands.Username, JobCommands.Password, Output, Timeout };
        command.SetAction((parse, ct) => Run(kind, parse, ct));
        return command;
    }

    private static async Task<int> Run(string kind, ParseResult parse, CancellationToken ct)
    {
        var json = parse.GetValue(Output) == "json";
        var (connected, notConnected) = JobCommands.Connect(parse);
        if (connected is null) return await Refused(notConnected!, 3);
        using var client = connected;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(parse.GetValue(Timeout));
        try
        {
            var accepted = await client.StartFleetRun(kind, new FleetRunRequest(parse.GetValue(Canaries), parse.GetValue(MaxInFlight)), deadline.Token);
            var progress = json ? null : new FleetProgress(kind);
            progress?.Accepted(accepted);
            FleetRunView run;
            for (var delay = 100; ; delay = Math.Min(delay * 2, 1000))
            {
                run = await client.FleetRun(accepted.RunId, deadline.Token);
                progress?.Changed(run);
                if (run.Finished) break;
                await Task.Delay(delay, deadline.Token);
            }
            if (json) Console.WriteLine(JsonSerializer.Serialize(run, OpsApi.Json));
            else progress!.Finished(run);
            return run.State == "succeeded" ? 0 : 1;
        }
        catch (OpsApiRefusal refusal)
        {
            return await Refused($"{kind} refused: {refusal.Description} ({(int)refusal.Status} {refusal.Error})",
                refusal.Status is System.Net.HttpStatusCode.Unauthorized ? 3 : 2, refusal.Error);
        }
        catch (HttpRequestException e)
        {
            return await Refused($"The broker at {client.BaseAddress} cannot be reached: {e.Message}", 3);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return await Refused($"The fleet run did not end within {parse.GetValue(Timeout)}; it goes on in the broker.", 3);
        }

        async Task<int> Refused(string message, int exitCode, string error = "CliError")
        {
            if (json) Console.WriteLine(JsonSerializer.Serialize(new OpsError(error, message), OpsApi.Json));
            await Console.Error.WriteLineAsync(message);
            return exitCode;
        }
    }
}

/// <summary>Each instance's changes of state as lines, each once; with colour on a terminal, plain when redirected.</summary>
internal sealed class FleetProgress
{
    private readonly string _kind;
    private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
    private readonly Dictionary<Guid, string> _shown = [];

    public FleetProgress(string kind)
    {
        _kind = kind;
        if (Console.IsOutputRedirected) _console.Profile.Width = 500;
    }

    public void Accepted(FleetRunAccepted run) =>
        _console.MarkupLine($"[bold]{_kind}[/]: fleet run {run.RunId}, {run.Instances} instance(s), canaries: " +
                            (run.Canaries.Count == 0 ? "none" : string.Join(", ", run.Canaries)));

    public void Changed(FleetRunView run)
    {
        foreach (var instance in run.Instances.Where(i => i.State != "pending" && _shown.GetValueOrDefault(i.InstanceId) != i.State))
        {
            _shown[instance.InstanceId] = instance.State;
            var detail = instance.State == "updating" ? $" to {instance.ToVersion}" : instance.Description is { } said ? $" ({said})" : "";
            _console.MarkupLine($"  {instance.InstanceId}{(instance.Canary ? " (canary)" : "")}: {instance.State}{Markup.Escape(detail)}");
        }
    }

    public void Finished(FleetRunView run) =>
        _console.MarkupLine(run.State == "succeeded" ? $"[green]{_kind} succeeded[/]: {Markup.Escape(run.Description)}"
            : $"[red]{_kind} failed[/]: {Markup.Escape(run.Description)}");
}
