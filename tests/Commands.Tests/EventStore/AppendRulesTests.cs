using EventSourced.Commands.EventStore;
using EventSourced.Commands.Tests.EventStore.TestEvents;

namespace EventSourced.Commands.Tests.EventStore;

public sealed class AppendRulesTests(EventStoreFixture fixture) : IClassFixture<EventStoreFixture>
{
    private static WidgetOrdered Ordered(string streamId) => new(streamId, "sku", 1, DateTimeOffset.UnixEpoch);

    private async Task<string> StreamAtVersion(long version)
    {
        var streamId = EventStoreFixture.NewStreamId();
        var events = Enumerable.Range(0, (int)version).Select(_ => (IDomainEvent)Ordered(streamId)).ToArray();
        await fixture.Store.Append(streamId, StreamVersion.NoStream, events, EventStoreFixture.NewMetadata());
        return streamId;
    }

    [Fact]
    public async Task Append_NoStreamOnExistingStream_ThrowsWrongExpectedVersion()
    {
        var streamId = await StreamAtVersion(1);

        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() =>
            fixture.Store.Append(streamId, StreamVersion.NoStream, [Ordered(streamId)], EventStoreFixture.NewMetadata()));

        Assert.Equal(streamId, error.StreamId);
        Assert.Equal(StreamVersion.NoStream, error.ExpectedVersion);
        Assert.Contains(streamId, error.Message);
        Assert.Single(await fixture.Store.ReadStream(streamId));
    }

    [Fact]
    public async Task Append_ExactVersionMismatch_ThrowsAndAppendsNothing()
    {
        var streamId = await StreamAtVersion(2);

        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() =>
            fixture.Store.Append(streamId, 1, [Ordered(streamId), Ordered(streamId)], EventStoreFixture.NewMetadata()));

        Assert.Equal(1, error.ExpectedVersion);
        Assert.Contains("version 1", error.Message);
        var stream = await fixture.Store.ReadStream(streamId);
        Assert.Equal([1L, 2L], stream.Select(e => e.Version));
        Assert.Equal(3, await fixture.Store.Append(streamId, 2, [Ordered(streamId)], EventStoreFixture.NewMetadata()));
        Assert.Equal(stream[^1].Position + 1, (await fixture.Store.ReadStream(streamId, fromVersion: 3)).Single().Position);
    }

    [Fact]
    public async Task Append_ExactVersionOnMissingStream_ThrowsWrongExpectedVersion()
    {
        var streamId = EventStoreFixture.NewStreamId();

        await Assert.ThrowsAsync<WrongExpectedVersionException>(() =>
            fixture.Store.Append(streamId, 1, [Ordered(streamId)], EventStoreFixture.NewMetadata()));

        Assert.Empty(await fixture.Store.ReadStream(streamId));
    }

    [Fact]
    public async Task Append_AnyVersion_CreatesThenExtendsTheStream()
    {
        var streamId = EventStoreFixture.NewStreamId();

        var created = await fixture.Store.Append(streamId, StreamVersion.Any, [Ordered(streamId), Ordered(streamId)], EventStoreFixture.NewMetadata());
        var extended = await fixture.Store.Append(streamId, StreamVersion.Any, [Ordered(streamId)], EventStoreFixture.NewMetadata());

        Assert.Equal(2, created);
        Assert.Equal(3, extended);
        Assert.Equal([1L, 2L, 3L], (await fixture.Store.ReadStream(streamId)).Select(e => e.Version));
    }

    [Fact]
    public async Task Append_EmptyEventList_ThrowsArgumentException()
    {
        await Assert.ThrowsAsync<ArgumentException>("events", () =>
            fixture.Store.Append(EventStoreFixture.NewStreamId(), StreamVersion.Any, [], EventStoreFixture.NewMetadata()));
    }

    [Fact]
    public async Task Append_UnregisteredEventType_ThrowsBeforeWriting()
    {
        var streamId = EventStoreFixture.NewStreamId();
        var storeWithoutTypes = new Store(fixture.Store.DataSource, EventTypeRegistry.FromAssemblies());

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            storeWithoutTypes.Append(streamId, StreamVersion.NoStream, [Ordered(streamId)], EventStoreFixture.NewMetadata()));

        Assert.Equal(1, await fixture.Store.Append(streamId, StreamVersion.NoStream, [Ordered(streamId)], EventStoreFixture.NewMetadata()));
    }

    [Fact]
    public async Task Append_InCallerTransactionRolledBack_LeavesNoStream()
    {
        var streamId = EventStoreFixture.NewStreamId();
        await using (var connection = await fixture.Store.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var version = await fixture.Store.Append(connection, transaction, streamId, StreamVersion.NoStream, [Ordered(streamId)], EventStoreFixture.NewMetadata());
            Assert.Equal(1, version);
            await transaction.RollbackAsync();
        }

        Assert.Empty(await fixture.Store.ReadStream(streamId));
        Assert.Equal(1, await fixture.Store.Append(streamId, StreamVersion.NoStream, [Ordered(streamId)], EventStoreFixture.NewMetadata()));
    }

    [Fact]
    public async Task Append_WrongVersionInCallerTransaction_LeavesTheTransactionUsable()
    {
        var streamId = await StreamAtVersion(1);
        await using var connection = await fixture.Store.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        await Assert.ThrowsAsync<WrongExpectedVersionException>(() =>
            fixture.Store.Append(connection, transaction, streamId, StreamVersion.NoStream, [Ordered(streamId)], EventStoreFixture.NewMetadata()));
        var version = await fixture.Store.Append(connection, transaction, streamId, 1, [Ordered(streamId)], EventStoreFixture.NewMetadata());
        await transaction.CommitAsync();

        Assert.Equal(2, version);
        Assert.Equal(2, (await fixture.Store.ReadStream(streamId)).Count);
    }

    [Fact]
    public async Task Append_Committed_NotifiesListeners()
    {
        await using var listener = await fixture.Store.DataSource.OpenConnectionAsync();
        var notified = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Notification += (_, e) => notified.TrySetResult(e.Channel);
        await using (var listen = new Npgsql.NpgsqlCommand($"LISTEN {Store.NotificationChannel}", listener))
            await listen.ExecuteNonQueryAsync();

        var streamId = EventStoreFixture.NewStreamId();
        await fixture.Store.Append(streamId, StreamVersion.NoStream, [Ordered(streamId)], EventStoreFixture.NewMetadata());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!notified.Task.IsCompleted) await listener.WaitAsync(timeout.Token);

        Assert.Equal(Store.NotificationChannel, await notified.Task);
    }
}
