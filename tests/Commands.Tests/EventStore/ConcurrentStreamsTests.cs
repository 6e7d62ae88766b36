using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using Marten;

namespace EventSourced.Commands.Tests.EventStore;

/// <summary>Writers on different streams do not get in each other's way, and every event lands once, in version order.</summary>
public sealed class ConcurrentStreamsTests(MartenFixture fixture) : IClassFixture<MartenFixture>
{
    private const int Writers = 16;
    private const int AppendsPerWriter = 25;

    [Fact]
    public async Task Handle_SixteenWritersOnTheirOwnStreams_AllLandWithContiguousVersions()
    {
        var prefix = MartenFixture.NewStreamKey("writer");

        var results = await Race.Run(Writers, writer => Write(writer, $"{prefix}-{writer}"));

        Assert.All(results.SelectMany(r => r), r => Assert.IsType<Decision.Accepted>(r));
        await using var session = fixture.Store.QuerySession();
        var all = new List<JasperFx.Events.IEvent>();
        for (var writer = 0; writer < Writers; writer++)
        {
            var stream = await session.Events.FetchStreamAsync($"{prefix}-{writer}");
            var notes = stream.Select(e => (WidgetNoted)e.Data).ToList();
            Assert.Equal(Enumerable.Range(1, stream.Count).Select(v => (long)v), stream.Select(e => e.Version));
            Assert.Equal(Enumerable.Range(0, stream.Count), notes.Select(n => n.Sequence));
            Assert.All(notes, n => Assert.Equal(writer, n.Writer));
            Assert.Equal(stream.Select(e => e.Sequence).Order(), stream.Select(e => e.Sequence));
            all.AddRange(stream);
        }
        Assert.Equal(results.Sum(r => r.Sum(d => ((Decision.Accepted)d).Events.Count)), all.Count);
        Assert.Equal(all.Count, all.Select(e => e.Sequence).Distinct().Count());
        Assert.Equal(all.Count, all.Select(e => e.Id).Distinct().Count());
    }

    /// <summary>Appends of 1–3 notes each, numbered on from what the stream already holds.</summary>
    private async Task<List<Decision>> Write(int writer, string key)
    {
        var random = new Random(writer);
        var decisions = new List<Decision>();
        for (var append = 0; append < AppendsPerWriter; append++)
        {
            var count = random.Next(1, 4);
            decisions.Add(await fixture.Streams.Handle(key, (events, _, _) => Task.FromResult<Decision>(new Decision.Accepted(Guid.NewGuid(),
                Enumerable.Range(events.Count, count).Select(s => (IDomainEvent)new WidgetNoted(key, writer, s)).ToList())),
                MartenFixture.NewMetadata()));
        }
        return decisions;
    }
}
