using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Tests.EventStore;

/// <summary>Writers racing on one stream: each round exactly one wins, the losers decide again on the winner's state.</summary>
public sealed class RacingAppendsTests(MartenFixture fixture) : IClassFixture<MartenFixture>
{
    private const int Racers = 16;
    private const int Rounds = 20;

    [Fact]
    public async Task Handle_SixteenRacersPerRound_ExactlyOneWinsAndTheOthersSeeItsEvent()
    {
        var key = MartenFixture.NewStreamKey();
        var decisions = 0;

        for (var round = 0; round < Rounds; round++)
        {
            var results = await Race.Run(Racers, racer => fixture.Streams.Handle(key, (events, _, _) =>
            {
                Interlocked.Increment(ref decisions);
                return Task.FromResult(ClaimRound(events, key, round, racer));
            }, MartenFixture.NewMetadata()));

            Assert.Single(results.OfType<Decision.Accepted>());
            Assert.All(results.Where(r => r is not Decision.Accepted), r => Assert.IsType<Decision.AlreadyDone>(r));
        }

        var (stored, version) = await fixture.Streams.Read(key);
        Assert.Equal(Rounds, version);
        Assert.Equal(Enumerable.Range(0, Rounds), stored.Cast<WidgetNoted>().Select(n => n.Sequence));
        Assert.True(decisions > Racers * Rounds, $"no racer ever lost a commit ({decisions} decisions): the race was not run");
    }

    /// <summary>The first racer to see no note for the round claims it; a racer that sees one has nothing to do.</summary>
    private static Decision ClaimRound(IReadOnlyList<IDomainEvent> events, string key, int round, int racer) =>
        events.OfType<WidgetNoted>().Any(n => n.Sequence == round)
            ? new Decision.AlreadyDone()
            : new Decision.Accepted(Guid.NewGuid(), [new WidgetNoted(key, racer, round)]);
}
