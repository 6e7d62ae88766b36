using EventSourced.Commands.EventStore.Legacy;
using JasperFx;
using Marten;
using Npgsql;
using Weasel.Core.Migrations;

namespace EventSourced.Broker.Hosting;

/// <summary>
/// Before anything else starts: refuses a database that still holds the previous store's events (they must be migrated
/// first), then brings the schema up to date (AutoCreate CreateOrUpdate: development, tests) or checks it (None:
/// production, where `db apply` changes it), naming the command that fixes what it finds.
/// </summary>
internal sealed class SchemaCheck(IDocumentStore store, NpgsqlDataSource dataSource, LegacyEventStore legacy) : IHostedService
{
    public const string ApplyCommand = "dotnet run --project src/Broker -- db apply";
    public const string MigrateCommand = "dotnet run --project src/Broker -- db migrate-events";

    public async Task StartAsync(CancellationToken ct)
    {
        if (await legacy.NeedsMigration(ct))
            throw new InvalidOperationException(
                $"This database holds events of the broker's previous event store (tables events and streams) that are not in " +
                $"Marten yet. Run `{MigrateCommand}` (with the same ConnectionStrings__Postgres) to copy them, then start the broker.");
        if (store.Options is not StoreOptions { AutoCreateSchemaObjects: AutoCreate.None })
        {
            // Under an advisory lock: nodes starting together on a fresh database would otherwise run the same DDL at once.
            await SchemaApplier.Apply(store, dataSource, ct);
            return;
        }
        try
        {
            await store.Storage.Database.AssertDatabaseMatchesConfigurationAsync(ct);
        }
        catch (DatabaseValidationException e)
        {
            throw new InvalidOperationException(
                $"The database schema differs from this broker's (EventStore:AutoCreate is None). Run `{ApplyCommand}` to apply " +
                $"the changes below, then start the broker.{Environment.NewLine}{e.Message}", e);
        }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
