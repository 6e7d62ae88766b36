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
        var afterCommit = await fixture.ReadAllUntil(checkpoint, 2, id => id == slowStream || id == fastStream);

        Assert.DoesNotContain(whileOpen, e => e.StreamId == fastStream || e.StreamId == slowStream);
        Assert.DoesNotContain(fromCheckpointWhileOpen, e => e.StreamId == fastStream || e.StreamId == slowStream);
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

        var firstRead = await fixture.ReadAllUntil(start, 1, id => id == fastStream);
        var checkpoint = firstRead[^1].Cursor;
        await slowTransaction.CommitAsync();
        var secondRead = await fixture.ReadAllUntil(checkpoint, 1, id => id == slowStream || id == fastStream);

        Assert.Equal(fastStream, firstRead.Single().StreamId);
        Assert.Equal(slowStream, secondRead.Single().StreamId);
        Assert.True(secondRead[0].Position < firstRead[0].Position, "the slow event holds the earlier position");
        Assert.True(secondRead[0].Cursor.CompareTo(checkpoint) > 0);
        Assert.Equal(0, await fixture.Store.CountVisible(secondRead[0].Cursor));
    }

    [Fact]
    public async Task ReadAll_CallerTransactionWithAnOlderId_DeliversItsLaterVersionFirst()
    {
        var streamId = EventStoreFixture.NewStreamId();
        await fixture.Store.Append(streamId, StreamVersion.NoStream, [Ordered(streamId)], EventStoreFixture.NewMetadata());
        // The order is by transaction id, not by stream version: consumers of ReadAll must not expect a stream's versions
        // in order. B wrote earlier in its transaction (an inline row, say), so its id is older than A's.
        await using var b = await fixture.Store.DataSource.OpenConnectionAsync();
        await using var bTransaction = await b.BeginTransactionAsync();
        await using (var takeXid = new NpgsqlCommand("SELECT pg_current_xact_id()", b, bTransaction))
            await takeXid.ExecuteScalarAsync();
        await using var a = await fixture.Store.DataSource.OpenConnectionAsync();
        await using var aTransaction = await a.BeginTransactionAsync();
        await fixture.Store.Append(a, aTransaction, streamId, 1, [Ordered(streamId)], EventStoreFixture.NewMetadata());
        var bAppend = fixture.Store.Append(b, bTransaction, streamId, StreamVersion.Any, [Ordered(streamId)], EventStoreFixture.NewMetadata());
        await Task.Delay(200);
        await aTransaction.CommitAsync();
        Assert.Equal(3, await bAppend);
        await bTransaction.CommitAsync();

        var read = await fixture.ReadAllUntil(GlobalCursor.Start, 3, id => id == streamId);

        Assert.Equal([1L, 3L, 2L], read.Select(e => e.Version));
    }
}
