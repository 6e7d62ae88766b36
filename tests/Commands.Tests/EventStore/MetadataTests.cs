using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using Marten;

namespace EventSourced.Commands.Tests.EventStore;

/// <summary>What a command appends comes back as it was written: payloads, versions, and who and what caused it.</summary>
public sealed class MetadataTests(MartenFixture fixture) : IClassFixture<MartenFixture>
{
    private Task<Decision> Append(string key, EventMetadata metadata, params IDomainEvent[] events) =>
        fixture.Streams.Handle(key, (_, _, _) => Task.FromResult<Decision>(new Decision.Accepted(Guid.NewGuid(), events)), metadata);

    private async Task<IReadOnlyList<JasperFx.Events.IEvent>> Fetch(string key)
    {
        await using var session = fixture.Store.QuerySession();
        return await session.Events.FetchStreamAsync(key);
    }

    [Fact]
    public async Task Handle_FullMetadata_RoundTripsWithPayloadsAndVersions()
    {
        var key = MartenFixture.NewStreamKey();
        var metadata = new EventMetadata(Guid.NewGuid(), Guid.NewGuid(), "cloudfoundry eyJ1c2VyX2lkIjoiYWJjIn0=", "req-42");
        IDomainEvent[] events = [new WidgetNoted(key, 1, 0), new WidgetNoted(key, 1, 1), new WidgetNoted(key, 2, 2)];

        await Append(key, metadata, events);
        var stored = await Fetch(key);

        Assert.Equal(events, stored.Select(e => e.Data));
        Assert.Equal([1L, 2L, 3L], stored.Select(e => e.Version));
        Assert.All(stored, e => Assert.Equal(metadata, EventMetadata.Of(e)));
        Assert.All(stored, e => Assert.Equal(key, e.StreamKey));
        Assert.Equal(3, stored.Select(e => e.Id).Distinct().Count());
        Assert.True(stored[0].Sequence < stored[1].Sequence && stored[1].Sequence < stored[2].Sequence);
    }

    [Fact]
    public async Task Handle_CorrelationOnly_ReadsBackWithoutCausationOrIdentities()
    {
        var key = MartenFixture.NewStreamKey();
        var metadata = new EventMetadata(Guid.NewGuid());

        await Append(key, metadata, new WidgetNoted(key, 0, 0));

        Assert.Equal(metadata, EventMetadata.Of(Assert.Single(await Fetch(key))));
    }

    [Fact]
    public async Task Handle_EachAppend_KeepsItsOwnMetadata()
    {
        var key = MartenFixture.NewStreamKey();
        var (first, second) = (new EventMetadata(Guid.NewGuid(), null, "cf-user-1"), new EventMetadata(Guid.NewGuid(), Guid.NewGuid(), null, "req-2"));

        await Append(key, first, new WidgetNoted(key, 0, 0));
        await Append(key, second, new WidgetNoted(key, 0, 1));

        Assert.Equal([first, second], (await Fetch(key)).Select(EventMetadata.Of));
    }

    [Fact]
    public async Task Read_UnknownStream_IsEmptyAtNoStream()
    {
        var (events, version) = await fixture.Streams.Read(MartenFixture.NewStreamKey());

        Assert.Empty(events);
        Assert.Equal(StreamVersion.NoStream, version);
    }
}
