using System.CommandLine;
using EventSourced.Commands;
using EventSourced.Projections;
using EventSourced.Projections.Daemon;
using EventSourced.Projections.Rebuild;

namespace EventSourced.Broker.Cli;

/// <summary>
/// <c>projections list</c> and <c>projections rebuild &lt;name&gt;|all</c>: operator commands that work beside a running
/// broker (the rebuild holds each projection's lock batch by batch, so a serving broker and the rebuild never apply twice).
/// </summary>
public static class ProjectionsCommand
{
    public static bool Handles(string[] args) => args is ["projections", ..];

    public static async Task<int> Run(string[] args)
    {
        var name = new Argument<string>("name")
        {
            Description = $"The projection to rebuild (see `projections list`), or `{ProjectionRebuilder.All}` for every projection in one pass over the log.",
        };
        var rebuild = new Command("rebuild", "Truncate read models and replay them from the event log.") { name };
        rebuild.SetAction((parse, ct) => WithServices(services => Rebuild(services, parse.GetValue(name)!, ct)));
        var list = new Command("list", "List the projections and how far behind the log each is.");
        list.SetAction((_, ct) => WithServices(services => List(services, ct)));
        var root = new RootCommand("On-demand PostgreSQL service broker") { new Command("projections", "Read-model projections.") { rebuild, list } };
        return await root.Parse(args).InvokeAsync();
    }

    private static async Task<int> WithServices(Func<IServiceProvider, Task<int>> action)
    {
        var builder = Host.CreateApplicationBuilder();
        // A filter, not SetMinimumLevel: the Logging:LogLevel:Default of appsettings.json would override a minimum level.
        builder.Logging.AddFilter(level => level >= LogLevel.Warning);
        builder.Services.AddCommands(builder.Configuration).AddReadModels().AddProjectionDaemon(builder.Configuration);
        using var host = builder.Build();
        return await action(host.Services);
    }

    private static async Task<int> Rebuild(IServiceProvider services, string name, CancellationToken ct)
    {
        var rebuilder = services.GetRequiredService<ProjectionRebuilder>();
        try
        {
            await rebuilder.Rebuild(name, new ConsoleProgress(), ct);
        }
        catch (UnknownProjectionException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        Console.WriteLine($"\n{name}: rebuilt.");
        return 0;
    }

    /// <summary>
    /// Writes each report as it is made, on one line with the latest report of every projection being rebuilt:
    /// <see cref="Progress{T}"/> would post reports to the thread pool, where they can land out of order and after the
    /// "rebuilt." line, leaving the console showing a count short of the total.
    /// </summary>
    private sealed class ConsoleProgress : IProgress<RebuildProgress>
    {
        private readonly Lock gate = new();
        private readonly SortedDictionary<string, RebuildProgress> latest = new(StringComparer.Ordinal);

        public void Report(RebuildProgress p)
        {
            lock (gate)
            {
                latest[p.Projection] = p;
                Console.Write($"\r{string.Join(" · ", latest.Values.Select(Line))}   ");
            }
        }

        private static string Line(RebuildProgress p) => $"{p.Projection}: {p.Processed:N0}/{p.Total:N0} events ({p.EventsPerSecond:N0}/s)";
    }

    private static async Task<int> List(IServiceProvider services, CancellationToken ct)
    {
        foreach (var status in await services.GetRequiredService<ProjectionStatus>().Read(ct))
            Console.WriteLine($"{status.Name,-28} behind by {status.Behind:N0} events");
        return 0;
    }
}
