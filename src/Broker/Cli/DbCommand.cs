using System.CommandLine;
using System.Diagnostics;
using EventSourced.Commands.EventStore.Legacy;
using EventSourced.Projections.Rebuild;
using EventSourced.Broker.Hosting;
using Marten;
using Npgsql;

namespace EventSourced.Broker.Cli;

/// <summary>
/// <c>db apply</c>: brings the database schema (event store, read models, inbox, saga state) to what this broker expects;
/// in production the broker only checks it. <c>db migrate-events</c>: copies the previous event store's events into
/// Marten, then rebuilds every read model.
/// </summary>
public static class DbCommand
{
    public static Command Create()
    {
        var apply = new Command("apply", "Create or update the database schema to this broker's configuration.");
        apply.SetAction((_, ct) => OperatorCommands.WithServices(async services =>
        {
            await SchemaApplier.Apply(services.GetRequiredService<IDocumentStore>(), services.GetRequiredService<NpgsqlDataSource>(), ct);
            Console.WriteLine("Schema applied.");
            return 0;
        }));
        var migrate = new Command("migrate-events",
            "Copy the previous event store's events (tables events, streams) into Marten, in their order, then rebuild every read model.");
        migrate.SetAction((_, ct) => OperatorCommands.WithServices(services => MigrateEvents(services, ct)));
        return new Command("db", "The broker's database.") { apply, migrate };
    }

    private static async Task<int> MigrateEvents(IServiceProvider services, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        EventMigrationReport report;
        try
        {
            report = await services.GetRequiredService<LegacyEventStore>().Migrate(Console.Out, ct);
        }
        catch (EventMigrationRefusedException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        Console.WriteLine(report);
        if (report.Outcome == EventMigrationOutcome.NothingToMigrate) return 0;

        // Also after an earlier run copied the events: that run may have stopped before its rebuild finished (a rebuild
        // only ever moves rows forward, so running it again is harmless).
        var rebuilder = services.GetRequiredService<StreamViewRebuilder>();
        Console.WriteLine($"Rebuilding every read model ({string.Join(", ", rebuilder.Names.Order())}) from the migrated events.");
        var rebuild = Stopwatch.StartNew();
        var last = new Dictionary<string, RebuildProgress>();
        await rebuilder.Rebuild(StreamViewRebuilder.All, new SynchronousProgress(p => last[p.Projection] = p), ct);
        foreach (var p in last.Values.OrderBy(p => p.Projection)) Console.WriteLine($"  {p.Projection}: {p.Processed} events folded");
        Console.WriteLine($"Read models rebuilt in {rebuild.Elapsed.TotalSeconds:0.0} s.");
        Console.WriteLine(report.Copied
            ? $"Migration done: {report.Events} events, {report.Streams} streams ({report.InstanceStreams} instance, " +
              $"{report.BindingStreams} binding) in {clock.Elapsed.TotalSeconds:0.0} s. The broker can start now."
            : $"Done in {clock.Elapsed.TotalSeconds:0.0} s.");
        return 0;
    }

    /// <summary>Reports on the rebuild's own thread (Progress&lt;T&gt; would post to the thread pool, after the last line).</summary>
    private sealed class SynchronousProgress(Action<RebuildProgress> report) : IProgress<RebuildProgress>
    {
        public void Report(RebuildProgress value) => report(value);
    }
}
