using System.CommandLine;
using EventSourced.Projections.Rebuild;
using EventSourced.Projections.Status;
using Spectre.Console;

namespace EventSourced.Broker.Cli;

/// <summary>
/// <c>projections list</c> (each projection's kind and lag) and <c>projections rebuild &lt;name&gt;|all</c> (recomputes the
/// read models from the log in place, beside a serving broker: rows are replaced, never removed).
/// </summary>
public static class ProjectionsCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name")
        {
            Description = $"The projection to rebuild (see `projections list`), or `{StreamViewRebuilder.All}` for every projection in one pass over the log.",
        };
        var rebuild = new Command("rebuild", "Recompute read models from the event log, in place.") { name };
        rebuild.SetAction((parse, ct) => OperatorCommands.WithServices(services => Rebuild(services, parse.GetValue(name)!, ct)));
        var list = new Command("list", "List the projections and subscriptions and how far behind the log each is.");
        list.SetAction((_, ct) => OperatorCommands.WithServices(services => List(services, ct)));
        return new Command("projections", "Read-model projections.") { rebuild, list };
    }

    private static async Task<int> Rebuild(IServiceProvider services, string name, CancellationToken ct)
    {
        var rebuilder = services.GetRequiredService<StreamViewRebuilder>();
        try
        {
            if (Console.IsOutputRedirected) await rebuilder.Rebuild(name, new Reporter(p => Console.WriteLine(Line(p))), ct);
            else await WithProgressBar(rebuilder, name, ct);
        }
        catch (UnknownProjectionException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        Console.WriteLine($"{name}: rebuilt.");
        return 0;
    }

    private static Task WithProgressBar(StreamViewRebuilder rebuilder, string name, CancellationToken ct) =>
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                ProgressTask? task = null;
                await rebuilder.Rebuild(name, new Reporter(p =>
                {
                    task ??= context.AddTask(p.Projection, maxValue: Math.Max(p.Total, 1));
                    task.Value = p.Processed;
                    task.Description = Line(p);
                }), ct);
                if (task is not null) task.Value = task.MaxValue;
            });

    private static string Line(RebuildProgress p) => $"{p.Projection}: {p.Processed:N0}/{p.Total:N0} events ({p.EventsPerSecond:N0}/s)";

    /// <summary>Applies each report as it is made (<see cref="Progress{T}"/> would post them out of order to the pool).</summary>
    private sealed class Reporter(Action<RebuildProgress> report) : IProgress<RebuildProgress>
    {
        private readonly Lock gate = new();

        public void Report(RebuildProgress value)
        {
            lock (gate) report(value);
        }
    }

    private static async Task<int> List(IServiceProvider services, CancellationToken ct)
    {
        var table = new Table().AddColumns("Projection", "Kind", "Position", "Behind by (events)");
        foreach (var lag in await services.GetRequiredService<ProjectionStatus>().Read(ct))
            table.AddRow(lag.Name, lag.Kind, lag.Position.ToString("N0"), lag.Behind.ToString("N0"));
        AnsiConsole.Write(table);
        return 0;
    }
}
