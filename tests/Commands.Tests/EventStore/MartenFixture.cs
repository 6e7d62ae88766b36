using EventSourced.Commands.EventStore;
using EventSourced.TestSupport;
using Marten;

namespace EventSourced.Commands.Tests.EventStore;

/// <summary>A fresh database with the event store's Marten schema (as the broker configures it), shared by one test class.</summary>
public sealed class MartenFixture : IAsyncLifetime
{
    private PostgresDatabase? database;

    public string ConnectionString => database!.ConnectionString;

    public DocumentStore Store { get; private set; } = null!;

    public StreamStore Streams { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        database = await PostgresDatabase.Create();
        Store = DocumentStore.For(options =>
        {
            options.Connection(database.ConnectionString);
            EventStoreServiceCollectionExtensions.Configure(options, new EventStoreOptions());
            options.Events.AddEventType<WidgetNoted>();
        });
        await Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        Streams = new StreamStore(Store, TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        Store?.Dispose();
        if (database is not null) await database.DisposeAsync();
    }

    public static string NewStreamKey(string prefix = "widget") => $"{prefix}-{Guid.NewGuid():N}";

    public static EventMetadata NewMetadata() => new(Guid.NewGuid());
}
