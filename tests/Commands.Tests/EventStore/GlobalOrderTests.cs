using EventSourced.Commands.EventStore;
using EventSourced.Commands.Tests.EventStore.TestEvents;
using Npgsql;

namespace EventSourced.Commands.Tests.EventStore;

public sealed class GlobalOrderTests(EventStoreFixture fixture) : IClassFixture<EventStoreFixture>
{
    private static WidgetOrdered Ordered(string streamId) => new(streamId, "sku", 1, DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task ReadAll_WhileAnOlderTransactionIsOpen_HoldsBackLaterCommitsUntilItEnds()
    {
        var (slowStream, fastStream) = (EventStoreFixture.NewStreamId("slow"), EventStoreFixture.NewStreamId("fast"));
        var checkpoint = await fixture.Store.ReadHead();
        await using var slow = await fixture.Store.DataSource.OpenConnectionAsync();
        await using var slowTransaction = await slow.BeginTransactionAsync();
        await fixture.Store.Append(slow, slowTransaction, slowStream, StreamVersion.NoStream, [Ordered(slowStream)], EventStoreFixture.NewMetadata());
        await fixture.Store.Append(fastStream, StreamVersion.NoStream, [Ordered(fastStream)], EventStoreFixture.NewMetadata());

        var whileOpen = await fixture.Store.ReadAll(GlobalCursor.Start, 1000);
        var fromCheckpointWhileOpen = await fixture.Store.ReadAll(checkpoint, 1000);
        await slowTransaction.CommitAsync();
        var afterCommit = await fixture.ReadAllUntil(checkpoint, read => read.Count == 2);

        Assert.DoesNotContain(whileOpen, e => e.StreamId == fastStream || e.StreamId == slowStream);
        Assert.Empty(fromCheckpointWhileOpen);
        Assert.Equal([slowStream, fastStream], afterCommit.Select(e => e.StreamId));
        Assert.True(afterCommit[0].Position < afterCommit[1].Position);
    }

    [Fact]
    public async Task ReadAll_EventCommittedBehindACheckpointedPosition_IsStillDelivered()
    {
        var (slowStream, fastStream) = (EventStoreFixture.NewStreamId("slow"), EventStoreFixture.NewStreamId("fast"));
        var start = await fixture.Store.ReadHead();
        // The fast writer takes its transaction id first, so its later, higher position sorts before the slow one.
        await using var fast = await fixture.Store.DataSource.OpenConnectionAsync();
        await using var fastTransaction = await fast.BeginTransactionAsync();
        await using (var takeXid = new NpgsqlCommand("SELECT pg_current_xact_id()", fast, fastTransaction))
            await takeXid.ExecuteScalarAsync();
        await using var slow = await fixture.Store.DataSource.OpenConnectionAsync();
        await using var slowTransaction = await slow.BeginTransactionAsync();
        await fixture.Store.Append(slow, slowTransaction, slowStream, StreamVersion.NoStream, [Ordered(slowStream)], EventStoreFixture.NewMetadata());
        await fixture.Store.Append(fast, fastTransaction, fastStream, StreamVersion.NoStream, [Ordered(fastStream)], EventStoreFixture.NewMetadata());
        await fastTransaction.CommitAsync();

        var firstRead = await fixture.ReadAllUntil(start, read => read.Count == 1);
        var checkpoint = firstRead[^1].Cursor;
        await slowTransaction.CommitAsync();
        var secondRead = await fixture.ReadAllUntil(checkpoint, read => read.Count == 1);

        Assert.Equal(fastStream, firstRead.Single().StreamId);
        Assert.Equal(slowStream, secondRead.Single().StreamId);
        Assert.True(secondRead[0].Position < firstRead[0].Position, "the slow event holds the earlier position");
        Assert.True(secondRead[0].Cursor.CompareTo(checkpoint) > 0);
        Assert.Equal(0, await fixture.Store.CountVisible(secondRead[0].Cursor));
    }
}
