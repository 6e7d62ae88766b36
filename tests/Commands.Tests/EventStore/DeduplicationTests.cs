using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using Marten;
using Marten.Services;

namespace EventSourced.Commands.Tests.EventStore;

/// <summary>A redelivered message (same consumer and message id) appends nothing the second time, also when deliveries race.</summary>
public sealed class DeduplicationTests(MartenFixture fixture) : IClassFixture<MartenFixture>
{
    /// <summary>A message handler that appends one note whatever the stream holds: only the inbox stops a second append.</summary>
    /// <param name="deciding">Sees the events each decision is taken on.</param>
    private Task<Decision> Deliver(string key, Deduplication message, int delivery = 0, Action<IReadOnlyList<IDomainEvent>>? deciding = null) =>
        fixture.Streams.Handle(key, (events, _, _) =>
            {
                deciding?.Invoke(events);
                return Task.FromResult<Decision>(new Decision.Accepted(Guid.NewGuid(), [new WidgetNoted(key, delivery, 0)]));
            },
            new EventMetadata(Guid.NewGuid(), message.MessageId), message);

    [Fact]
    public async Task Handle_SameMessageTwice_SecondIsAlreadyDoneAndAppendsNothing()
    {
        var key = MartenFixture.NewStreamKey();
        var message = new Deduplication("consumer", Guid.NewGuid());

        Assert.IsType<Decision.Accepted>(await Deliver(key, message, 1));
        Assert.IsType<Decision.AlreadyDone>(await Deliver(key, message, 2));

        var (events, version) = await fixture.Streams.Read(key);
        Assert.Equal(1, version);
        Assert.Equal(1, Assert.IsType<WidgetNoted>(Assert.Single(events)).Writer);
    }

    [Fact]
    public async Task Handle_SameMessageIdForAnotherConsumer_IsHandledToo()
    {
        var key = MartenFixture.NewStreamKey();
        var messageId = Guid.NewGuid();

        Assert.IsType<Decision.Accepted>(await Deliver(key, new Deduplication("forwarder", messageId)));
        Assert.IsType<Decision.Accepted>(await Deliver(key, new Deduplication("projector", messageId)));

        Assert.Equal(2, (await fixture.Streams.Read(key)).Version);
    }

    [Fact]
    public async Task Handle_SixteenRacingDeliveries_AppendOnce()
    {
        var key = MartenFixture.NewStreamKey();
        var message = new Deduplication("consumer", Guid.NewGuid());

        var (decidedOnEmptyStream, firstTwo) = (0, new Rendezvous(2));

        var decisions = await Race.Run(16, delivery => Deliver(key, message, delivery, events =>
        {
            if (events.Count > 0) return;
            Interlocked.Increment(ref decidedOnEmptyStream);
            firstTwo.Arrive();
        }));

        Assert.Single(decisions.OfType<Decision.Accepted>());
        Assert.All(decisions.Where(d => d is not Decision.Accepted), d => Assert.IsType<Decision.AlreadyDone>(d));
        Assert.Single((await fixture.Streams.Read(key)).Events);
        // The first two deliveries to find the stream empty wait for each other before deciding, so both append before
        // either commits and only the inbox stops the second. (One after the other, only the first sees an empty stream.)
        Assert.True(decidedOnEmptyStream > 1, $"{decidedOnEmptyStream} delivery decided on an empty stream: the deliveries did not overlap");
    }

    [Fact]
    public async Task Handle_WhileAFirstDeliveryIsUncommitted_WaitsForItThenAppendsNothing()
    {
        var message = new Deduplication("consumer", Guid.NewGuid());
        var (firstKey, secondKey) = (MartenFixture.NewStreamKey(), MartenFixture.NewStreamKey());
        await using var connection = await OpenConnection();
        await using var transaction = await connection.BeginTransactionAsync();
        await WriteFirstDelivery(transaction, firstKey, message);

        // Another stream, so that only the inbox entry can stop the redelivery.
        var redelivery = Deliver(secondKey, message);
        await Task.Delay(300);
        Assert.False(redelivery.IsCompleted, "the redelivery did not wait for the first delivery's transaction");
        await transaction.CommitAsync();

        Assert.IsType<Decision.AlreadyDone>(await redelivery);
        Assert.Single((await fixture.Streams.Read(firstKey)).Events);
        Assert.Empty((await fixture.Streams.Read(secondKey)).Events);
    }

    [Fact]
    public async Task Handle_AfterAFirstDeliveryRolledBack_AppendsAsNew()
    {
        var message = new Deduplication("consumer", Guid.NewGuid());
        var key = MartenFixture.NewStreamKey();
        await using (var connection = await OpenConnection())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await WriteFirstDelivery(transaction, key, message);
            await transaction.RollbackAsync();
        }

        Assert.IsType<Decision.Accepted>(await Deliver(key, message));
        Assert.Single((await fixture.Streams.Read(key)).Events);
    }

    private async Task<Npgsql.NpgsqlConnection> OpenConnection()
    {
        var connection = new Npgsql.NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The first delivery's append and inbox entry, written in a transaction the test commits or rolls back.</summary>
    private async Task WriteFirstDelivery(Npgsql.NpgsqlTransaction transaction, string key, Deduplication message)
    {
        await using var session = fixture.Store.LightweightSession(SessionOptions.ForTransaction(transaction));
        session.Events.StartStream(key, new WidgetNoted(key, 0, 0));
        session.Insert(InboxEntry.For(message.Consumer, message.MessageId, DateTimeOffset.UtcNow));
        await session.SaveChangesAsync();
    }
}
