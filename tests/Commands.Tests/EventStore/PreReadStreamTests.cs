using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Tests.EventStore;

/// <summary>
/// A decision on a stream the caller read a moment ago (a step's read at its start): taken on that read first, and when
/// the stream moved on meanwhile, that attempt loses on its version and the decision is taken again on a fresh read.
/// </summary>
public sealed class PreReadStreamTests(MartenFixture fixture) : IClassFixture<MartenFixture>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Handle_WithAReadThatIsStale_DecidesAgainOnTheStreamAsItIs_AndAppendsAfterWhatCameMeanwhile(bool groupCommit)
    {
        await using var streams = new StreamStore(fixture.Store, TimeProvider.System, groupCommit);
        var key = MartenFixture.NewStreamKey();
        await Note(streams, key, writer: 1);
        var read = await streams.ReadStored(key);
        await Note(streams, key, writer: 2);
        var seen = new List<int>();

        var decision = await streams.Handle(key, events =>
        {
            seen.Add(events.Count);
            return new Decision.Accepted(Guid.NewGuid(), [new WidgetNoted(key, 3, events.Count)]);
        }, MartenFixture.NewMetadata(), read: read);

        Assert.IsType<Decision.Accepted>(decision);
        Assert.Equal([1, 2], seen);
        var (stored, version) = await streams.Read(key);
        Assert.Equal(3, version);
        Assert.Equal([(1, 0), (2, 1), (3, 2)], stored.Cast<WidgetNoted>().Select(n => (n.Writer, n.Sequence)));
    }

    [Fact]
    public async Task Handle_WithAReadThatIsCurrent_DecidesOnItOnce()
    {
        var key = MartenFixture.NewStreamKey();
        await Note(fixture.Streams, key, writer: 1);
        var seen = new List<int>();

        await fixture.Streams.Handle(key, events =>
        {
            seen.Add(events.Count);
            return new Decision.Accepted(Guid.NewGuid(), [new WidgetNoted(key, 2, events.Count)]);
        }, MartenFixture.NewMetadata(), read: await fixture.Streams.ReadStored(key));

        Assert.Equal([1], seen);
        Assert.Equal(2, (await fixture.Streams.Read(key)).Version);
    }

    private static async Task Note(StreamStore streams, string key, int writer) =>
        Assert.IsType<Decision.Accepted>(await streams.Handle(key,
            events => new Decision.Accepted(Guid.NewGuid(), [new WidgetNoted(key, writer, events.Count)]), MartenFixture.NewMetadata()));
}
