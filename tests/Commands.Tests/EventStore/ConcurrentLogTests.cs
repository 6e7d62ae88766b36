using System.Collections.Concurrent;
using System.Diagnostics;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.Tests.EventStore.TestEvents;
using Xunit.Abstractions;

namespace EventSourced.Commands.Tests.EventStore;

public sealed class ConcurrentLogTests(EventStoreFixture fixture, ITestOutputHelper output) : IClassFixture<EventStoreFixture>
{
    private const int Writers = 16;
    private const int EventsPerWriter = 200;

    [Fact]
    public async Task ReadAll_PagingWhileSixteenWritersAppend_ReturnsEveryEventExactlyOnce()
    {
        var prefix = $"load-{Guid.NewGuid():N}";
        var sharedStreams = Enumerable.Range(0, 4).Select(i => $"{prefix}-shared-{i}").ToArray();
        var start = await fixture.Store.ReadHead();
        var retries = new ConcurrentBag<int>();
        var clock = Stopwatch.StartNew();

        var reader = Task.Run(() => fixture.ReadAllUntil(start, Writers * EventsPerWriter, id => id.StartsWith(prefix), pageSize: 50));
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() => Write(w, prefix, sharedStreams, retries))));
        var written = clock.Elapsed;
        var read = await reader;
        var afterwards = await fixture.Store.ReadAll(read[^1].Cursor, 1000);

        output.WriteLine($"{Writers * EventsPerWriter} events by {Writers} writers in {written.TotalMilliseconds:F0} ms; " +
                         $"{retries.Sum()} exact-version retries on shared streams; all read {clock.Elapsed.TotalMilliseconds:F0} ms");
        var notes = read.Select(e => (WidgetNoted)e.Data).ToList();
        var expected = Enumerable.Range(0, Writers).SelectMany(w => Enumerable.Range(0, EventsPerWriter).Select(s => (w, s)));
        Assert.Equal(expected.Order(), notes.Select(n => (n.Writer, n.Sequence)).Order());
        Assert.Equal(read.Count, read.Select(e => e.EventId).Distinct().Count());
        Assert.Equal(read.Select(e => e.Cursor).Order(), read.Select(e => e.Cursor));
        Assert.Equal(read.Count, read.Select(e => e.Cursor).Distinct().Count());
        Assert.All(read.GroupBy(e => e.StreamId), stream =>
            Assert.Equal(Enumerable.Range(1, stream.Count()).Select(v => (long)v), stream.Select(e => e.Version)));
        Assert.DoesNotContain(afterwards, e => e.StreamId.StartsWith(prefix));
    }

    // Mixes the ways the broker appends: new streams, a writer's own streams at their exact version, shared streams at
    // any version, and shared streams at an exact version re-read after each conflict. Some appends carry 1–3 events.
    private async Task Write(int writer, string prefix, string[] sharedStreams, ConcurrentBag<int> retries)
    {
        var random = new Random(writer);
        var ownStreams = new List<(string Id, long Version)>();
        var sequence = 0;
        while (sequence < EventsPerWriter)
        {
            var count = Math.Min(EventsPerWriter - sequence, random.Next(1, 4));
            var metadata = EventStoreFixture.NewMetadata();
            var choice = random.Next(4);
            if (choice == 0 || (choice == 1 && ownStreams.Count == 0))
            {
                var id = $"{prefix}-w{writer}-{ownStreams.Count}";
                ownStreams.Add((id, await fixture.Store.Append(id, StreamVersion.NoStream, Notes(id, writer, sequence, count), metadata)));
            }
            else if (choice == 1)
            {
                var index = random.Next(ownStreams.Count);
                var (id, version) = ownStreams[index];
                ownStreams[index] = (id, await fixture.Store.Append(id, version, Notes(id, writer, sequence, count), metadata));
            }
            else if (choice == 2)
            {
                var id = sharedStreams[random.Next(sharedStreams.Length)];
                await fixture.Store.Append(id, StreamVersion.Any, Notes(id, writer, sequence, count), metadata);
            }
            else
            {
                var id = sharedStreams[random.Next(sharedStreams.Length)];
                retries.Add(await AppendAtCurrentVersion(id, Notes(id, writer, sequence, count), metadata));
            }
            sequence += count;
        }
    }

    private async Task<int> AppendAtCurrentVersion(string streamId, IReadOnlyList<IDomainEvent> events, EventMetadata metadata)
    {
        for (var retry = 0; ; retry++)
        {
            var stream = await fixture.Store.ReadStream(streamId);
            try
            {
                await fixture.Store.Append(streamId, stream.Count == 0 ? StreamVersion.NoStream : stream[^1].Version, events, metadata);
                return retry;
            }
            catch (WrongExpectedVersionException)
            {
            }
        }
    }

    private static IDomainEvent[] Notes(string streamId, int writer, int firstSequence, int count) =>
        Enumerable.Range(firstSequence, count).Select(s => (IDomainEvent)new WidgetNoted(streamId, writer, s)).ToArray();
}
