using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using Marten;

namespace EventSourced.Commands.Tests.EventStore;

/// <summary>A stream that keeps changing under a decision gives up after <see cref="StreamStore.MaxAttempts"/> with a ConcurrencyError.</summary>
public sealed class MaxAttemptsTests(MartenFixture fixture) : IClassFixture<MartenFixture>
{
    [Fact]
    public async Task Handle_ConflictOnEveryAttempt_IsRejectedWithConcurrencyErrorAndAppendsNothing()
    {
        var key = MartenFixture.NewStreamKey();
        var attempts = 0;

        var decision = await fixture.Streams.Handle(key, async (events, _, ct) =>
        {
            attempts++;
            await AppendFromAnotherWriter(key, ct);
            return new Decision.Accepted(Guid.NewGuid(), [new WidgetNoted(key, 0, events.Count)]);
        }, MartenFixture.NewMetadata());

        var rejected = Assert.IsType<Decision.Rejected>(decision);
        Assert.Equal(DomainErrorCode.ConcurrencyError, rejected.Error.Code);
        Assert.Contains(key, rejected.Error.Description);
        Assert.Equal(StreamStore.MaxAttempts, attempts);
        var (stored, _) = await fixture.Streams.Read(key);
        Assert.Equal(StreamStore.MaxAttempts, stored.Count);
        Assert.All(stored, e => Assert.Equal(-1, ((WidgetNoted)e).Writer));
    }

    [Fact]
    public async Task Handle_ConflictOnAllButTheLastAttempt_IsAccepted()
    {
        var key = MartenFixture.NewStreamKey();
        var attempts = 0;

        var decision = await fixture.Streams.Handle(key, async (events, _, ct) =>
        {
            if (++attempts < StreamStore.MaxAttempts) await AppendFromAnotherWriter(key, ct);
            return new Decision.Accepted(Guid.NewGuid(), [new WidgetNoted(key, 0, events.Count)]);
        }, MartenFixture.NewMetadata());

        Assert.IsType<Decision.Accepted>(decision);
        var (stored, version) = await fixture.Streams.Read(key);
        Assert.Equal(StreamStore.MaxAttempts, version);
        Assert.Equal(0, ((WidgetNoted)stored[^1]).Writer);
    }

    /// <summary>Another writer (writer -1) appends to the stream between the read and the commit of the decision.</summary>
    private async Task AppendFromAnotherWriter(string key, CancellationToken ct)
    {
        await using var session = fixture.Store.LightweightSession();
        session.Events.Append(key, new WidgetNoted(key, -1, 0));
        await session.SaveChangesAsync(ct);
    }
}
