using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using Marten;
using Npgsql;

namespace EventSourced.Commands.Tests.EventStore;

/// <summary>
/// Commands committed together (<see cref="GroupCommit"/>): one transaction for the batch, each append at its own
/// expected version and with its own metadata, and each command answered on its own: a lost race or a hostile event
/// fails only its own command; a database failure fails the batch and leaves nothing of it.
/// </summary>
public sealed class GroupCommitTests(MartenFixture fixture) : IClassFixture<MartenFixture>
{
    [Fact]
    public async Task Save_ThirtyTwoAppendsOnDistinctStreams_CommitInOneTransactionEachAtItsVersionWithItsMetadata()
    {
        var keys = Enumerable.Range(0, 32).Select(_ => MartenFixture.NewStreamKey()).ToList();
        foreach (var key in keys.Where((_, i) => i % 2 == 0)) await Seed(key);
        var batch = keys.Select((key, i) => Append(key, i % 2 == 0 ? 1 : StreamVersion.NoStream, i)).ToList();
        await using var group = new GroupCommit(fixture.Store);

        await group.Save(batch);

        foreach (var append in batch) Assert.True(await Outcome(append));
        await using var session = fixture.Store.QuerySession();
        for (var i = 0; i < keys.Count; i++)
        {
            var stream = await session.Events.FetchStreamAsync(keys[i]);
            var last = stream[^1];
            Assert.Equal(i % 2 == 0 ? 2 : 1, last.Version);
            Assert.Equal(new WidgetNoted(keys[i], i, 0), last.Data);
            Assert.Equal(batch[i].Metadata, EventMetadata.Of(last));
        }
        Assert.Equal(1, await TransactionsThatWrote(keys, version: i => i % 2 == 0 ? 2 : 1));
    }

    [Fact]
    public async Task Handle_ThirtyTwoConcurrentCommandsOnDistinctStreams_AllCommitWithTheirVersions()
    {
        var keys = Enumerable.Range(0, 32).Select(_ => MartenFixture.NewStreamKey()).ToList();
        foreach (var key in keys) await Seed(key);

        var decisions = await Race.Run(keys.Count, i => fixture.Streams.Handle(keys[i],
            events => new Decision.Accepted(Guid.NewGuid(), [new WidgetNoted(keys[i], i, events.Count)]), MartenFixture.NewMetadata())).WaitAsync(Bound);

        Assert.All(decisions, d => Assert.IsType<Decision.Accepted>(d));
        for (var i = 0; i < keys.Count; i++)
        {
            var (events, version) = await fixture.Streams.Read(keys[i]);
            Assert.Equal(2, version);
            Assert.Equal(new WidgetNoted(keys[i], i, 1), events[^1]);
        }
    }

    [Fact]
    public async Task Save_ThreeAppendsOnOneStreamAtOneVersion_OneWinsTheOthersLoseAndUnrelatedAppendsCommit()
    {
        var (contested, other, another) = (MartenFixture.NewStreamKey(), MartenFixture.NewStreamKey(), MartenFixture.NewStreamKey());
        await Seed(contested);
        PendingAppend[] batch =
        [
            Append(contested, 1, 1), Append(other, StreamVersion.NoStream, 2), Append(contested, 1, 3),
            Append(another, StreamVersion.NoStream, 4), Append(contested, 1, 5),
        ];
        await using var group = new GroupCommit(fixture.Store);

        await group.Save(batch);

        Assert.True(await Outcome(batch[0]));
        Assert.True(await Outcome(batch[1]));
        Assert.True(await Outcome(batch[3]));
        var lost = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => Outcome(batch[2]));
        Assert.Equal(contested, lost.StreamId);
        await Assert.ThrowsAsync<WrongExpectedVersionException>(() => Outcome(batch[4]));
        Assert.Equal([0, 1], (await fixture.Streams.Read(contested)).Events.Cast<WidgetNoted>().Select(n => n.Writer));
        Assert.Equal(2, Assert.IsType<WidgetNoted>(Assert.Single((await fixture.Streams.Read(other)).Events)).Writer);
        Assert.Equal(4, Assert.IsType<WidgetNoted>(Assert.Single((await fixture.Streams.Read(another)).Events)).Writer);
    }

    [Fact]
    public async Task Save_AppendsBehindAnotherWritersCommit_OnlyTheStaleOnesLoseTheRestCommit()
    {
        var (stale, started, fresh, alsoFresh) =
            (MartenFixture.NewStreamKey(), MartenFixture.NewStreamKey(), MartenFixture.NewStreamKey(), MartenFixture.NewStreamKey());
        await Seed(stale);
        await Seed(stale); // another writer moved it to version 2
        await Seed(started); // another writer started it
        PendingAppend[] batch =
        [
            Append(fresh, StreamVersion.NoStream, 1), Append(stale, 1, 2), Append(started, StreamVersion.NoStream, 3),
            Append(alsoFresh, StreamVersion.NoStream, 4),
        ];
        await using var group = new GroupCommit(fixture.Store);

        await group.Save(batch);

        Assert.True(await Outcome(batch[0]));
        Assert.True(await Outcome(batch[3]));
        Assert.Equal(stale, (await Assert.ThrowsAsync<WrongExpectedVersionException>(() => Outcome(batch[1]))).StreamId);
        Assert.Equal(started, (await Assert.ThrowsAsync<WrongExpectedVersionException>(() => Outcome(batch[2]))).StreamId);
        Assert.Equal(2, (await fixture.Streams.Read(stale)).Version);
        Assert.Equal(1, (await fixture.Streams.Read(started)).Version);
        Assert.Equal(1, (await fixture.Streams.Read(fresh)).Version);
        Assert.Equal(1, (await fixture.Streams.Read(alsoFresh)).Version);
    }

    [Fact]
    public async Task Handle_EightConcurrentFirstCommandsOnOneStream_ExactlyOneWinsTheOthersDecideAgainOnItsEvent()
    {
        var contested = MartenFixture.NewStreamKey();
        var unrelated = Enumerable.Range(0, 8).Select(_ => MartenFixture.NewStreamKey()).ToList();

        var decisions = await Race.Run(16, i => i < 8
            ? fixture.Streams.Handle(contested, events =>
                events.Count == 0
                    ? new Decision.Accepted(Guid.NewGuid(), [new WidgetNoted(contested, i, 0)])
                    : Decision.Reject(DomainErrorCode.Conflict, "already noted"), MartenFixture.NewMetadata())
            : fixture.Streams.Handle(unrelated[i - 8], _ =>
                new Decision.Accepted(Guid.NewGuid(), [new WidgetNoted(unrelated[i - 8], i, 0)]), MartenFixture.NewMetadata())).WaitAsync(Bound);

        var winner = Assert.Single(decisions.Take(8), d => d is Decision.Accepted);
        Assert.All(decisions.Take(8).Where(d => d != winner), d => Assert.Equal(DomainErrorCode.Conflict, Assert.IsType<Decision.Rejected>(d).Error.Code));
        Assert.All(decisions.Skip(8), d => Assert.IsType<Decision.Accepted>(d));
        Assert.Single((await fixture.Streams.Read(contested)).Events);
        foreach (var key in unrelated) Assert.Equal(1, (await fixture.Streams.Read(key)).Version);
    }

    [Fact]
    public async Task Save_ARedeliveredMessageAmongNewOnes_OnlyItIsAnsweredAsHandledBeforeTheOthersCommit()
    {
        var handled = InboxEntry.For("test-consumer", Guid.NewGuid(), DateTimeOffset.UtcNow);
        await using (var session = fixture.Store.LightweightSession())
        {
            session.Insert(handled);
            await session.SaveChangesAsync();
        }
        var keys = Enumerable.Range(0, 4).Select(_ => MartenFixture.NewStreamKey()).ToList();
        var batch = keys.Select((key, i) => new PendingAppend([new GroupedStream(key, StreamVersion.NoStream, [new WidgetNoted(key, i, 0)], null)],
            MartenFixture.NewMetadata(), i == 1 ? handled with { ProcessedAt = DateTimeOffset.UtcNow } : InboxEntry.For("test-consumer", Guid.NewGuid(), DateTimeOffset.UtcNow))).ToList();
        await using var group = new GroupCommit(fixture.Store);

        await group.Save(batch);

        Assert.False(await Outcome(batch[1]));
        Assert.Equal(StreamVersion.NoStream, (await fixture.Streams.Read(keys[1])).Version);
        foreach (var i in new[] { 0, 2, 3 })
        {
            Assert.True(await Outcome(batch[i]));
            Assert.Equal(1, (await fixture.Streams.Read(keys[i])).Version);
        }
    }

    [Fact]
    public async Task Save_DatabaseFailsOneAppendMidBatch_EveryCommandOfTheBatchFailsAndNothingIsRecorded()
    {
        await RefuseEventsOf("poison");
        var keys = new[] { MartenFixture.NewStreamKey(), MartenFixture.NewStreamKey(), MartenFixture.NewStreamKey("poison"), MartenFixture.NewStreamKey() };
        var batch = keys.Select((key, i) => Append(key, StreamVersion.NoStream, i)).ToList();
        await using var group = new GroupCommit(fixture.Store);

        await group.Save(batch);

        foreach (var append in batch)
            Assert.Contains("refused in this test", (await Assert.ThrowsAsync<EventStoreFailureException>(() => Outcome(append))).Message);
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM broker.mt_streams WHERE id = ANY($1)", connection)
            { Parameters = { new NpgsqlParameter { Value = keys } } };
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Save_OneEventCannotBeWritten_OnlyItsCommandFailsTheRestOfTheBatchCommits()
    {
        var keys = Enumerable.Range(0, 5).Select(_ => MartenFixture.NewStreamKey()).ToList();
        var batch = keys.Select((key, i) => Append(key, StreamVersion.NoStream, i)).ToList();
        batch[2] = new PendingAppend([new GroupedStream(keys[2], StreamVersion.NoStream, [new Unwritable(keys[2])], null)], MartenFixture.NewMetadata(), null);
        await using var group = new GroupCommit(fixture.Store);

        await group.Save(batch);

        Assert.Equal(Unwritable.Refusal, (await Assert.ThrowsAnyAsync<Exception>(() => Outcome(batch[2]))).Message);
        Assert.Equal(StreamVersion.NoStream, (await fixture.Streams.Read(keys[2])).Version);
        foreach (var i in new[] { 0, 1, 3, 4 })
        {
            Assert.True(await Outcome(batch[i]));
            Assert.Equal(1, (await fixture.Streams.Read(keys[i])).Version);
        }
    }

    [Fact]
    public async Task Handle_OneDecisionThrowsAndOneEventCannotBeWritten_OnlyThoseCommandsFail()
    {
        var keys = Enumerable.Range(0, 12).Select(_ => MartenFixture.NewStreamKey()).ToList();

        var outcomes = await Race.Run(keys.Count, async i =>
        {
            try
            {
                return (Decision: await fixture.Streams.Handle(keys[i], _ => i switch
                {
                    3 => throw new InvalidOperationException("hostile decision"),
                    7 => new Decision.Accepted(Guid.NewGuid(), [new Unwritable(keys[i])]),
                    _ => new Decision.Accepted(Guid.NewGuid(), [new WidgetNoted(keys[i], i, 0)]),
                }, MartenFixture.NewMetadata()), Error: (Exception?)null);
            }
            catch (Exception e)
            {
                return (Decision: (Decision?)null, Error: e);
            }
        }).WaitAsync(Bound);

        Assert.Equal("hostile decision", outcomes[3].Error?.Message);
        Assert.Equal(Unwritable.Refusal, outcomes[7].Error?.Message);
        for (var i = 0; i < keys.Count; i++)
        {
            if (i is 3 or 7)
            {
                Assert.Equal(StreamVersion.NoStream, (await fixture.Streams.Read(keys[i])).Version);
                continue;
            }
            Assert.Null(outcomes[i].Error);
            Assert.IsType<Decision.Accepted>(outcomes[i].Decision);
            Assert.Equal(1, (await fixture.Streams.Read(keys[i])).Version);
        }
    }

    /// <summary>An event whose serialization throws: a hostile payload, refused before anything reaches the database.</summary>
    public sealed record Unwritable(string StreamKey) : IDomainEvent
    {
        public const string Refusal = "this event cannot be written";

        public string Payload => throw new InvalidOperationException(Refusal);
    }

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>An append's outcome, bounded: an append the committer never answers fails the test instead of hanging it.</summary>
    private static Task<bool> Outcome(PendingAppend append) => append.Outcome.Task.WaitAsync(TimeSpan.FromSeconds(30));

    private static PendingAppend Append(string key, long expectedVersion, int writer) =>
        new([new GroupedStream(key, expectedVersion, [new WidgetNoted(key, writer, 0)], null)],
            new EventMetadata(Guid.NewGuid(), Guid.NewGuid(), $"identity-{writer}", $"request-{writer}"), null);

    /// <summary>Another writer appends writer 0's note (starting the stream if it does not exist).</summary>
    private async Task Seed(string key)
    {
        await using var session = fixture.Store.LightweightSession();
        session.Events.Append(key, new WidgetNoted(key, 0, 0));
        await session.SaveChangesAsync();
    }

    /// <summary>How many transactions inserted the given versions of the streams (PostgreSQL's xmin of their event rows).</summary>
    private async Task<long> TransactionsThatWrote(IReadOnlyList<string> keys, Func<int, long> version)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        var xmins = new HashSet<string>();
        for (var i = 0; i < keys.Count; i++)
        {
            await using var command = new NpgsqlCommand("SELECT xmin::text FROM broker.mt_events WHERE stream_id = $1 AND version = $2", connection)
                { Parameters = { new NpgsqlParameter { Value = keys[i] }, new NpgsqlParameter { Value = version(i) } } };
            xmins.Add((string)(await command.ExecuteScalarAsync())!);
        }
        return xmins.Count;
    }

    /// <summary>A trigger that makes PostgreSQL refuse (mid-transaction) any event row of a stream whose id starts with the prefix.</summary>
    private async Task RefuseEventsOf(string prefix)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"""
            CREATE OR REPLACE FUNCTION broker.refuse_{prefix}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.stream_id LIKE '{prefix}-%' THEN RAISE EXCEPTION 'refused in this test'; END IF;
              RETURN NEW;
            END $$;
            DROP TRIGGER IF EXISTS refuse_{prefix} ON broker.mt_events;
            CREATE TRIGGER refuse_{prefix} BEFORE INSERT ON broker.mt_events FOR EACH ROW EXECUTE FUNCTION broker.refuse_{prefix}();
            """, connection);
        await command.ExecuteNonQueryAsync();
    }
}
