// The class shares its namespace's name, which this test namespace (…Tests.EventStore) would otherwise shadow.
global using Store = EventSourced.Commands.EventStore.EventStore;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.Tests.EventStore.TestEvents;
using EventSourced.TestSupport;

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

    /// <summary>
    /// Pages through the global log from a cursor until it has read <paramref name="count"/> events of the given streams,
    /// and returns those. It polls, and callers filter by stream, because the horizon is cluster-wide: a transaction
    /// open anywhere on the test server (other fixtures run in parallel) delays visibility, even of earlier events.
    /// </summary>
    public async Task<List<RecordedEvent>> ReadAllUntil(
        GlobalCursor after, int count, Func<string, bool> ofStream, int pageSize = 100)
    {
        var read = new List<RecordedEvent>();
        var cursor = after;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (read.Count < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"ReadAll from {after} gave {read.Count} events in 30 s without reaching the expected state.");
            var page = await Store.ReadAll(cursor, pageSize);
            if (page.Count == 0)
            {
                await Task.Delay(10);
                continue;
            }
            read.AddRange(page.Where(e => ofStream(e.StreamId)));
            cursor = page[^1].Cursor;
        }
        return read;
    }

    public static string NewStreamId(string prefix = "widget") => $"{prefix}-{Guid.NewGuid():N}";

    public static EventMetadata NewMetadata() => new(Guid.NewGuid());
}
