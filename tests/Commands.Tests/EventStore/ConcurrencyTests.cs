using EventSourced.Commands.EventStore;
using EventSourced.Commands.Tests.EventStore.TestEvents;

namespace EventSourced.Commands.Tests.EventStore;

public sealed class ConcurrencyTests(EventStoreFixture fixture) : IClassFixture<EventStoreFixture>
{
    private const int Racers = 16;

    private static WidgetOrdered Ordered(string streamId) => new(streamId, "sku", 1, DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task Append_ConcurrentToSameStream_ExactlyOneWinsAndNoPositionIsBurned()
    {
        var streamId = EventStoreFixture.NewStreamId();
        await fixture.Store.Append(streamId, StreamVersion.NoStream, [Ordered(streamId)], EventStoreFixture.NewMetadata());

        var results = await Race(() => fixture.Store.Append(streamId, 1, [Ordered(streamId), Ordered(streamId)], EventStoreFixture.NewMetadata()));
        var stream = await fixture.Store.ReadStream(streamId);
        await fixture.Store.Append(streamId, 3, [Ordered(streamId)], EventStoreFixture.NewMetadata());
        var next = (await fixture.Store.ReadStream(streamId, fromVersion: 4)).Single();

        Assert.Equal(1, results.Count(won => won));
        Assert.Equal([1L, 2L, 3L], stream.Select(e => e.Version));
        Assert.Equal(stream[^1].Position + 1, next.Position);
    }

    [Fact]
    public async Task Append_ConcurrentNewStream_ExactlyOneCreatesItAndNoPositionIsBurned()
    {
        var streamId = EventStoreFixture.NewStreamId();

        var results = await Race(() => fixture.Store.Append(streamId, StreamVersion.NoStream, [Ordered(streamId)], EventStoreFixture.NewMetadata()));
        var created = (await fixture.Store.ReadStream(streamId)).Single();
        await fixture.Store.Append(streamId, 1, [Ordered(streamId)], EventStoreFixture.NewMetadata());
        var next = (await fixture.Store.ReadStream(streamId, fromVersion: 2)).Single();

        Assert.Equal(1, results.Count(won => won));
        Assert.Equal(created.Position + 1, next.Position);
    }

    [Fact]
    public async Task Append_ConcurrentAnyVersion_AllSucceedWithDistinctVersions()
    {
        var streamId = EventStoreFixture.NewStreamId();

        var results = await Race(() => fixture.Store.Append(streamId, StreamVersion.Any, [Ordered(streamId), Ordered(streamId)], EventStoreFixture.NewMetadata()));

        Assert.All(results, Assert.True);
        Assert.Equal(Enumerable.Range(1, 2 * Racers).Select(v => (long)v), (await fixture.Store.ReadStream(streamId)).Select(e => e.Version));
    }

    /// <summary>Starts every append at once on warm connections; true for each that won, false for each that lost.</summary>
    private async Task<bool[]> Race(Func<Task<long>> append)
    {
        var connections = await Task.WhenAll(Enumerable.Range(0, Racers).Select(_ => fixture.Store.DataSource.OpenConnectionAsync().AsTask()));
        foreach (var connection in connections) await connection.DisposeAsync();

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var racers = Enumerable.Range(0, Racers).Select(_ => Task.Run(async () =>
        {
            await gate.Task;
            try
            {
                await append();
                return true;
            }
            catch (WrongExpectedVersionException)
            {
                return false;
            }
        })).ToArray();
        gate.SetResult();
        return await Task.WhenAll(racers);
    }
}
