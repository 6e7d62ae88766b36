using EventSourced.Commands.EventStore;
using EventSourced.Commands.Tests.EventStore.TestEvents;
using EventSourced.TestSupport;

namespace EventSourced.Commands.Tests.EventStore;

public sealed class SchemaAndInboxTests(EventStoreFixture fixture) : IClassFixture<EventStoreFixture>
{
    [Fact]
    public async Task EnsureSchema_CalledConcurrentlyThenAgain_Succeeds()
    {
        await using var database = await PostgresDatabase.Create();
        var store = new Store(database.DataSource, EventStoreFixture.Types);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => store.EnsureSchema())));
        await store.EnsureSchema();

        var streamId = EventStoreFixture.NewStreamId();
        Assert.Equal(1, await store.Append(streamId, StreamVersion.NoStream,
            [new WidgetOrdered(streamId, "sku", 1, DateTimeOffset.UnixEpoch)], EventStoreFixture.NewMetadata()));
    }

    [Fact]
    public async Task Inbox_TryRecordTwice_TrueThenFalse()
    {
        var messageId = Guid.NewGuid();

        Assert.True(await Record("forwarder", messageId));
        Assert.False(await Record("forwarder", messageId));
        Assert.True(await Record("projector", messageId));
    }

    [Fact]
    public async Task Inbox_TryRecordRolledBack_IsNotRemembered()
    {
        var messageId = Guid.NewGuid();
        await using (var connection = await fixture.Store.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            Assert.True(await Inbox.TryRecord(connection, transaction, "consumer", messageId));
            await transaction.RollbackAsync();
        }

        Assert.True(await Record("consumer", messageId));
    }

    [Fact]
    public async Task Inbox_ConcurrentRedelivery_OnlyOneTransactionRecords()
    {
        var messageId = Guid.NewGuid();
        await using var first = await fixture.Store.DataSource.OpenConnectionAsync();
        await using var firstTransaction = await first.BeginTransactionAsync();
        Assert.True(await Inbox.TryRecord(first, firstTransaction, "consumer", messageId));

        var second = Record("consumer", messageId);
        await Task.Delay(200);
        Assert.False(second.IsCompleted);
        await firstTransaction.CommitAsync();

        Assert.False(await second);
    }

    private async Task<bool> Record(string consumer, Guid messageId)
    {
        await using var connection = await fixture.Store.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var recorded = await Inbox.TryRecord(connection, transaction, consumer, messageId);
        await transaction.CommitAsync();
        return recorded;
    }
}
