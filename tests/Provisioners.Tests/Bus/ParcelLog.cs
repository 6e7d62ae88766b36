using EventSourced.Commands.EventStore;
using EventSourced.TestSupport;
using Marten;

namespace EventSourced.Provisioners.Tests.Bus;

/// <summary>The store every process of the test opens on the fixture's database: the broker's event store plus the scans.</summary>
internal static class ParcelLog
{
    public const int BatchSize = 50;

    public static void Configure(StoreOptions options, PostgresDatabase database)
    {
        options.Connection(database.ConnectionString);
        EventStoreServiceCollectionExtensions.Configure(options, new EventStoreOptions());
        options.Events.AddEventType<ParcelScanned>();
        options.Schema.For<AppliedScan>();
    }
}
