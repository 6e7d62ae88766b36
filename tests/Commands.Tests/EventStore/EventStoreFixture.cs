using EventSourced.Commands.EventStore;
using EventSourced.Commands.Tests.EventStore.TestEvents;
using EventSourced.TestSupport;
using Store = EventSourced.Commands.EventStore.EventStore;

namespace EventSourced.Commands.Tests.EventStore;

/// <summary>A fresh database with the event store's schema, shared by the tests of one class.</summary>
public sealed class EventStoreFixture : IAsyncLifetime
{
    public static readonly EventTypeRegistry Types = EventTypeRegistry.FromAssemblies(typeof(WidgetOrdered).Assembly);

    private PostgresDatabase? database;

    public Store Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        database = await PostgresDatabase.Create();
        Store = new Store(database.DataSource, Types);
        await Store.EnsureSchema();
    }

    public async Task DisposeAsync()
    {
        if (database is not null) await database.DisposeAsync();
    }

    public static string NewStreamId(string prefix = "widget") => $"{prefix}-{Guid.NewGuid():N}";

    public static EventMetadata NewMetadata() => new(Guid.NewGuid());
}
