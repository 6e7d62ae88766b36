using EventSourced.Commands.EventStore;
using EventSourced.Commands.Tests.EventStore.TestEvents;

namespace EventSourced.Commands.Tests.EventStore;

public sealed class AppendAndReadTests(EventStoreFixture fixture) : IClassFixture<EventStoreFixture>
{
    private static readonly DateTimeOffset Now = new(2025, 5, 1, 12, 30, 15, 123, TimeSpan.Zero);

    [Fact]
    public async Task Append_ThenReadStream_RoundTripsDataMetadataVersionsAndTypes()
    {
        var streamId = EventStoreFixture.NewStreamId();
        var metadata = new EventMetadata(Guid.NewGuid(), Guid.NewGuid(), "cloudfoundry eyJ1c2VyX2lkIjoiYWJjIn0=", "req-42");
        IDomainEvent[] events =
        [
            new WidgetOrdered(streamId, "sku-1", 3, Now),
            new WidgetShipped(streamId, Guid.NewGuid(), Now.AddMinutes(5)),
            new WidgetOrdered(streamId, "sku-2", 1, Now.AddMinutes(6)),
        ];

        var version = await fixture.Store.Append(streamId, StreamVersion.NoStream, events, metadata);
        var read = await fixture.Store.ReadStream(streamId);

        Assert.Equal(3, version);
        Assert.Equal(events, read.Select(e => e.Data));
        Assert.Equal([1L, 2L, 3L], read.Select(e => e.Version));
        Assert.Equal(["WidgetOrdered", "WidgetShipped", "WidgetOrdered"], read.Select(e => e.EventType));
        Assert.All(read, e => Assert.Equal(metadata, e.Metadata));
        Assert.All(read, e => Assert.Equal(streamId, e.StreamId));
        Assert.Equal(3, read.Select(e => e.EventId).Distinct().Count());
        Assert.True(read[0].Position < read[1].Position && read[1].Position < read[2].Position);
        Assert.All(read, e => Assert.Equal(read[0].TransactionId, e.TransactionId));
    }

    [Fact]
    public async Task ReadStream_FromVersion_ReturnsTheTail()
    {
        var streamId = EventStoreFixture.NewStreamId();
        await fixture.Store.Append(streamId, StreamVersion.NoStream,
            [new WidgetOrdered(streamId, "a", 1, Now), new WidgetOrdered(streamId, "b", 2, Now)], EventStoreFixture.NewMetadata());
        await fixture.Store.Append(streamId, 2, [new WidgetShipped(streamId, Guid.NewGuid(), Now)], EventStoreFixture.NewMetadata());

        var tail = await fixture.Store.ReadStream(streamId, fromVersion: 2);

        Assert.Equal([2L, 3L], tail.Select(e => e.Version));
    }

    [Fact]
    public async Task ReadStream_UnknownStream_IsEmpty()
    {
        Assert.Empty(await fixture.Store.ReadStream(EventStoreFixture.NewStreamId()));
    }

    [Fact]
    public async Task ReadAll_AfterAppend_ReturnsTheEventsInCursorOrder()
    {
        var head = await fixture.Store.ReadHead();
        var streamId = EventStoreFixture.NewStreamId();
        await fixture.Store.Append(streamId, StreamVersion.NoStream,
            [new WidgetOrdered(streamId, "a", 1, Now), new WidgetShipped(streamId, Guid.NewGuid(), Now)], EventStoreFixture.NewMetadata());

        var read = await fixture.ReadAllUntil(head, 2, id => id == streamId);

        Assert.Equal([1L, 2L], read.Select(e => e.Version));
        Assert.True(read[0].Cursor.CompareTo(read[1].Cursor) < 0);
        Assert.Equal(read[^1].Cursor, await fixture.Store.ReadHead());
        Assert.Equal(0, await fixture.Store.CountVisible(read[^1].Cursor));
        Assert.Equal(1, await fixture.Store.CountVisible(read[0].Cursor));
    }
}
