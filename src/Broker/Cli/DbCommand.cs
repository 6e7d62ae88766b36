using System.CommandLine;
using EventSourced.Commands.EventStore.Legacy;
using Marten;

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
            await services.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            Console.WriteLine("Schema applied.");
            return 0;
        }));
        var migrate = new Command("migrate-events", "Copy the previous event store's events (tables events, streams) into Marten, in their order.");
        migrate.SetAction((_, ct) => OperatorCommands.WithServices(async services =>
        {
            var report = await services.GetRequiredService<LegacyEventStore>().Migrate(Console.Out, ct);
            Console.WriteLine(report);
            return 0;
        }));
        return new Command("db", "The broker's database.") { apply, migrate };
    }
}
