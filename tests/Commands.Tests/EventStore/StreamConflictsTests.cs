using EventSourced.Commands.EventStore;
using JasperFx;
using Marten;
using Marten.Exceptions;

namespace EventSourced.Commands.Tests.EventStore;

/// <summary>Marten's concurrency failures come out of <see cref="StreamConflicts.Commit"/> as one exception, with nothing committed.</summary>
public sealed class StreamConflictsTests(MartenFixture fixture) : IClassFixture<MartenFixture>
{
    private static WidgetNoted Note(string key, int sequence = 0) => new(key, 0, sequence);

    private async Task<string> StreamAtVersion(int version)
    {
        var key = MartenFixture.NewStreamKey();
        await using var session = fixture.Store.LightweightSession();
        session.Events.StartStream(key, Enumerable.Range(0, version).Select(s => (object)Note(key, s)).ToArray());
        await session.SaveChangesAsync();
        return key;
    }

    private async Task<long> VersionOf(string key) => (await fixture.Streams.Read(key)).Version;

    [Fact]
    public async Task Commit_AppendAtAStaleVersion_ThrowsWrongExpectedVersionAndAppendsNothing()
    {
        var key = await StreamAtVersion(2);
        await using var session = fixture.Store.LightweightSession();
        session.Events.Append(key, 1 + 2, Note(key, 2), Note(key, 3));

        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => StreamConflicts.Commit(session, key, 1, default));

        Assert.Equal((key, 1L), (error.StreamId, error.ExpectedVersion));
        Assert.Contains("version 1", error.Message);
        Assert.IsAssignableFrom<ConcurrencyException>(error.InnerException);
        Assert.Equal(2, await VersionOf(key));
    }

    [Fact]
    public async Task Commit_StartStreamOfAnExistingStream_ThrowsWrongExpectedVersionAndAppendsNothing()
    {
        var key = await StreamAtVersion(1);
        await using var session = fixture.Store.LightweightSession();
        session.Events.StartStream(key, Note(key, 1));

        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => StreamConflicts.Commit(session, key, StreamVersion.NoStream, default));

        Assert.Equal((key, StreamVersion.NoStream), (error.StreamId, error.ExpectedVersion));
        Assert.Contains("not to exist", error.Message);
        Assert.IsType<ExistingStreamIdCollisionException>(error.InnerException);
        Assert.Equal(1, await VersionOf(key));
    }

    [Fact]
    public async Task Commit_AppendAtAVersionOfAMissingStream_ThrowsWrongExpectedVersionAndCreatesNothing()
    {
        var key = MartenFixture.NewStreamKey();
        await using var session = fixture.Store.LightweightSession();
        session.Events.Append(key, 1 + 1, Note(key));

        await Assert.ThrowsAsync<WrongExpectedVersionException>(() => StreamConflicts.Commit(session, key, 1, default));

        Assert.Equal(StreamVersion.NoStream, await VersionOf(key));
    }

    [Fact]
    public async Task Commit_TwoSessionsAtTheSameVersion_TheSecondThrows()
    {
        var key = await StreamAtVersion(1);
        await using var first = fixture.Store.LightweightSession();
        await using var second = fixture.Store.LightweightSession();
        first.Events.Append(key, 2, Note(key, 1));
        second.Events.Append(key, 2, Note(key, 1));

        Assert.True(await StreamConflicts.Commit(first, key, 1, default));
        await Assert.ThrowsAsync<WrongExpectedVersionException>(() => StreamConflicts.Commit(second, key, 1, default));

        Assert.Equal(2, await VersionOf(key));
    }

    [Fact]
    public async Task Commit_WithAnInboxEntryAlreadyThere_IsFalseAndCommitsNothing()
    {
        var entry = InboxEntry.For("consumer", Guid.NewGuid(), DateTimeOffset.UnixEpoch);
        await using (var first = fixture.Store.LightweightSession())
        {
            first.Insert(entry);
            await first.SaveChangesAsync();
        }
        var key = MartenFixture.NewStreamKey();
        await using var session = fixture.Store.LightweightSession();
        session.Events.StartStream(key, Note(key));
        session.Insert(entry);

        Assert.False(await StreamConflicts.Commit(session, key, StreamVersion.NoStream, default));

        Assert.Equal(StreamVersion.NoStream, await VersionOf(key));
    }
}
