using System.CommandLine;
using System.Text.Json;
using EventSourced.Broker.Ops;
using Spectre.Console;

namespace EventSourced.Broker.Cli;

/// <summary>
/// <c>provision [--cluster-id] &lt;owner-id&gt; &lt;instance-id&gt; [&lt;guest-location&gt;]</c> and <c>deprovision [--cluster-id]
/// &lt;instance-id&gt;</c>, as DreamFactory's <c>dfe:provision</c> / <c>dfe:deprovision</c>: each submits a job to the ops
/// API, then follows it step by step until it ends. Exit code 0: the job succeeded; 1: it failed; 2: the API refused
/// it; 3: the broker could not be reached or asked, or the wait ran out.
/// </summary>
public static class JobCommands
{
    public const string UrlVariable = "Ops__Url";

    internal static readonly Option<string> Url = new("--url")
    {
        Description = $"The broker's base URL (default: ${UrlVariable}, else http://127.0.0.1:8080).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(UrlVariable) ?? "http://127.0.0.1:8080",
    };
    internal static readonly Option<string?> Username = new("--username")
    {
        Description = "The ops API user (default: $Ops__Username).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("Ops__Username"),
    };
    internal static readonly Option<string?> Password = new("--password")
    {
        Description = "The ops API password (default: $Ops__Password; prefer the variable, a command line is visible to other users).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("Ops__Password"),
    };
    internal static readonly Option<string> Output = new("--output", "-o")
    {
        Description = "text (the steps as they happen) or json (the finished job, for scripts).", DefaultValueFactory = _ => "text",
    };
    internal static readonly Option<TimeSpan> Timeout = new("--timeout")
    {
        Description = "How long to wait for the job to end (e.g. 00:10:00).", DefaultValueFactory = _ => TimeSpan.FromMinutes(15),
    };
    internal static readonly Option<string?> ClusterId = new("--cluster-id") { Description = "The cluster the instance's database lives in." };

    static JobCommands() => Output.AcceptOnlyFromAmong("text", "json");

    public static Command Provision()
    {
        var owner = new Argument<string>("owner-id") { Description = "Who owns the new instance." };
        var instance = new Argument<string>("instance-id") { Description = "The new instance's id (a GUID)." };
        var guestLocation = new Argument<string?>("guest-location") { Description = "Where it runs: this broker's backend.", Arity = ArgumentArity.ZeroOrOne };
        var plan = new Option<string?>("--plan-id") { Description = "The plan (default: the catalog's first dedicated plan, or database plan with --cluster-id)." };
        var command = new Command("provision", "Provision an instance through the ops API and follow the job.")
            { owner, instance, guestLocation, ClusterId, plan, Url, Username, Password, Output, Timeout };
        command.SetAction((parse, ct) => Run(parse, "provision", new ProvisionJobRequest(parse.GetValue(owner), parse.GetValue(instance),
            PlanId: parse.GetValue(plan), ClusterId: parse.GetValue(ClusterId), GuestLocation: parse.GetValue(guestLocation)), ct));
        return command;
    }

    public static Command Deprovision()
    {
        var instance = new Argument<string>("instance-id") { Description = "The instance to deprovision (a GUID)." };
        var command = new Command("deprovision", "Deprovision an instance through the ops API and follow the job.")
            { instance, ClusterId, Url, Username, Password, Output, Timeout };
        command.SetAction((parse, ct) => Run(parse, "deprovision", new DeprovisionJobRequest(parse.GetValue(instance), parse.GetValue(ClusterId)), ct));
        return command;
    }

    internal static Task<int> Run(ParseResult parse, string job, object request, CancellationToken ct) => Run(parse, job, job, request, ct);

    /// <param name="job">What the job is called in messages.</param>
    /// <param name="path">Where it is submitted, under <c>/api/v1/ops/</c>.</param>
    internal static async Task<int> Run(ParseResult parse, string job, string path, object request, CancellationToken ct)
    {
        var json = parse.GetValue(Output) == "json";
        var (connected, notConnected) = Connect(parse);
        if (connected is null) return await Refused(notConnected!, 3);
        using var client = connected;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(parse.GetValue(Timeout));
        try
        {
            var accepted = await client.Submit(path, request, deadline.Token);
            var progress = json ? null : new JobProgress();
            progress?.Accepted(accepted);
            var finished = await Follow(client, accepted.JobId, progress, deadline.Token);
            if (json)
            {
                // An export's job is printed with the id of the snapshot it made (a last field), which scripts import by.
                var printed = JsonSerializer.Serialize(finished, OpsApi.Json);
                if (accepted.SnapshotId is { } exported) printed = $"{printed[..^1]},\"snapshotId\":\"{exported:D}\"}}";
                if (accepted.BackupId is { } backup) printed = $"{printed[..^1]},\"backupId\":\"{backup:D}\"}}";
                Console.WriteLine(printed);
            }
            else progress!.Finished(finished, accepted.SnapshotId, accepted.BackupId);
            return finished.State == "succeeded" ? 0 : 1;
        }
        catch (OpsApiRefusal refusal)
        {
            return await Refused($"{job} refused: {refusal.Description} ({(int)refusal.Status} {refusal.Error})",
                refusal.Status is System.Net.HttpStatusCode.Unauthorized ? 3 : 2, refusal.Error);
        }
        catch (HttpRequestException e)
        {
            return await Refused($"The broker at {client.BaseAddress} cannot be reached: {e.Message}", 3);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return await Refused($"The job did not end within {parse.GetValue(Timeout)}; it goes on in the broker.", 3);
        }

        async Task<int> Refused(string message, int exitCode, string error = "CliError")
        {
            if (json) Console.WriteLine(JsonSerializer.Serialize(new OpsError(error, message), OpsApi.Json));
            await Console.Error.WriteLineAsync(message);
            return exitCode;
        }
    }

    /// <summary>The ops API client the --url, --username and --password options (or their variables) name, or why there is none.</summary>
    internal static (OpsApiClient? Client, string? Refusal) Connect(ParseResult parse)
    {
        if (string.IsNullOrEmpty(parse.GetValue(Username)) || string.IsNullOrEmpty(parse.GetValue(Password)))
            return (null, "No ops credentials: set Ops__Username and Ops__Password (or --username/--password).");
        if (!Uri.TryCreate(parse.GetValue(Url), UriKind.Absolute, out var url)) return (null, $"--url '{parse.GetValue(Url)}' is not an absolute URL.");
        return (new OpsApiClient(url, parse.GetValue(Username)!, parse.GetValue(Password)!), null);
    }

    /// <summary>Polls the job until it ends, telling <paramref name="progress"/> each step once, as it is recorded.</summary>
    private static async Task<JobView> Follow(OpsApiClient client, Guid jobId, JobProgress? progress, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            var job = await client.Job(jobId, ct);
            progress?.Steps(job.Steps);
            if (job.Finished) return job;
            await Task.Delay(delay, ct);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }
}

/// <summary>The steps of a job as lines, each once; with colour on a terminal, plain when the output is redirected.</summary>
internal sealed class JobProgress
{
    private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
    private int _shown;

    public JobProgress()
    {
        // Redirected output (a pipe, a log) is not wrapped at an imagined 80 columns.
        if (Console.IsOutputRedirected) _console.Profile.Width = 500;
    }

    public void Accepted(SubmittedJob job) =>
        _console.MarkupLine($"[bold]{job.Kind}[/] of instance {job.InstanceId}: job {job.JobId}{(job.SnapshotId is { } s ? $", snapshot {s}" : "")}{(job.BackupId is { } b ? $", backup {b}" : "")}");

    public void Steps(IReadOnlyList<JobStep> steps)
    {
        foreach (var step in steps.Skip(_shown))
            _console.MarkupLine($"  [grey]{step.At:HH:mm:ss.fff}[/] {Markup.Escape(step.Name)}: {Markup.Escape(step.Description)}");
        _shown = Math.Max(_shown, steps.Count);
    }

    public void Finished(JobView job, Guid? snapshotId = null, Guid? backupId = null) =>
        _console.MarkupLine(job.State == "succeeded"
            ? $"[green]{job.Kind} succeeded[/] in {(job.FinishedAt - job.StartedAt)?.TotalSeconds:0.0} s{(snapshotId is { } s ? $": snapshot {s}" : "")}{(backupId is { } b ? $": backup {b}" : "")}"
            : $"[red]{job.Kind} failed[/]: {Markup.Escape(job.Error ?? job.Description)}");
}
