using EventSourced.TestSupport;
using EventSourced.Provisioners.Tests.Sagas.Orders;
using EventSourced.Provisioners.Tests.Sagas.Tickets;
using Npgsql;

namespace EventSourced.Provisioners.Tests.Sagas;

/// <summary>The Marten saga repository under a real bus: what it stores, and that concurrent messages lose nothing.</summary>
public sealed class MartenSagaRepositoryTests(SagaInfrastructure infrastructure) : IClassFixture<SagaInfrastructure>
{
    private static readonly DateTimeOffset AcceptBy = new(2030, 1, 2, 3, 4, 5, TimeSpan.FromHours(2));

    private NpgsqlDataSource DataSource => infrastructure.Database.DataSource;

    [Fact]
    public async Task Submitted_PersistsDocument_AndAccepted_UpdatesStateAndBumpsRevision()
    {
        await using var host = await OrderHost.Start(infrastructure.Database, infrastructure.VirtualHost);
        var orderId = Guid.NewGuid();

        await host.Bus.Publish(new OrderSubmitted(orderId, "A-1", AcceptBy));
        var submitted = await RowWhere(orderId, row => row?.State == "Submitted");
        Assert.Equal(1, submitted!.Version);
        Assert.Equal(1, submitted.Data.GetProperty("Version").GetInt32());
        Assert.Equal("A-1", submitted.Data.GetProperty("OrderNumber").GetString());
        Assert.Equal(AcceptBy, submitted.Data.GetProperty("AcceptBy").GetDateTimeOffset());

        await host.Bus.Publish(new OrderAccepted(orderId));
        var accepted = await RowWhere(orderId, row => row?.State == "Accepted");
        Assert.Equal(2, accepted!.Version);
        // The revision column and the saga's own Version in the JSON agree.
        Assert.Equal(2, accepted.Data.GetProperty("Version").GetInt32());

        // The saga published the announcement while accepting; the outbox held it until the repository committed.
        var seen = await Eventually.Until(
            () => Task.FromResult(host.Announcements.ByOrder.GetValueOrDefault(orderId)), state => state is not null, "the announcement");
        Assert.Equal("Accepted", seen);
    }

    [Fact]
    public async Task Saga_ContinuesFromPersistedState_InANewHost()
    {
        var orderId = Guid.NewGuid();
        await using (var first = await OrderHost.Start(infrastructure.Database, infrastructure.VirtualHost))
        {
            await first.Bus.Publish(new OrderSubmitted(orderId, "R-1", AcceptBy));
            await RowWhere(orderId, row => row?.State == "Submitted");
        }

        await using var second = await OrderHost.Start(infrastructure.Database, infrastructure.VirtualHost);
        await second.Bus.Publish(new OrderAccepted(orderId));

        // OrderAccepted is only accepted in Submitted, and the order number only came with OrderSubmitted:
        // both come from the document the first process wrote.
        var accepted = await RowWhere(orderId, row => row?.State == "Accepted");
        Assert.Equal("R-1", accepted!.Data.GetProperty("OrderNumber").GetString());
        Assert.Equal(2, accepted.Version);
    }

    [Fact]
    public async Task LoadSagaRepository_ReadsASagaById()
    {
        await using var host = await OrderHost.Start(infrastructure.Database, infrastructure.VirtualHost);
        var orderId = Guid.NewGuid();
        await host.Bus.Publish(new OrderSubmitted(orderId, "L-1", AcceptBy));
        await RowWhere(orderId, row => row?.State == "Submitted");

        var loaded = await host.Orders.Load(orderId);

        Assert.Equal(("L-1", "Submitted", 1), (loaded.OrderNumber, loaded.CurrentState, loaded.Version));
        Assert.Null(await host.Orders.Load(Guid.NewGuid()));
    }

    [Fact]
    public async Task FinalizedSaga_DocumentIsDeleted()
    {
        await using var host = await OrderHost.Start(infrastructure.Database, infrastructure.VirtualHost);
        var orderId = Guid.NewGuid();

        await host.Bus.Publish(new OrderSubmitted(orderId, "F-1", AcceptBy));
        await RowWhere(orderId, row => row?.State == "Submitted");
        await host.Bus.Publish(new OrderAccepted(orderId));
        await RowWhere(orderId, row => row?.State == "Accepted");
        await host.Bus.Publish(new OrderCompleted(orderId));

        await RowWhere(orderId, row => row is null);
    }

    [Fact]
    public async Task ConcurrentMessagesToOneSaga_AreAllApplied_LosersRetriedAgainstTheFreshState()
    {
        await using var host = await OrderHost.Start(infrastructure.Database, infrastructure.VirtualHost);
        var orderId = Guid.NewGuid();
        await host.Bus.Publish(new OrderSubmitted(orderId, "C-1", AcceptBy));
        await RowWhere(orderId, row => row?.State == "Submitted");

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => host.Bus.Publish(new OrderLineAdded(orderId))));

        var row = await RowWhere(orderId, row => row?.Data.GetProperty("LineCount").GetInt32() == 20);
        Assert.Equal(21, row!.Version);
    }

    [Fact]
    public async Task ConcurrentDuplicateSubmissions_CreateOneSaga_AndEveryMessageIsApplied()
    {
        await using var host = await OrderHost.Start(infrastructure.Database, infrastructure.VirtualHost);
        var orderId = Guid.NewGuid();

        // All race to insert: the losers' commits hit the existing document, are retried, load it and are ignored by the machine.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => host.Bus.Publish(new OrderSubmitted(orderId, "D-1", AcceptBy))));

        // One insert (version 1) and nineteen updates: no message was lost to the race.
        await RowWhere(orderId, row => row?.Version == 20);
    }

    [Fact]
    public async Task ConcurrentDuplicateOpenings_WithInsertOnInitial_CreateOneSaga_AndEveryMessageIsApplied()
    {
        await using var host = await OrderHost.Start(infrastructure.Database, infrastructure.VirtualHost);
        var ticketId = Guid.NewGuid();

        // Pre-insert: each message stages the insert unless the saga exists; the commits that lose the race are retried
        // and then find the saga.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => host.Bus.Publish(new TicketOpened(ticketId))));

        // One message inserted it (version 1) in the same commit as its transition; each of the 19 others updated it once.
        var row = await Eventually.Until(
            () => SagaRows.Find(DataSource, ticketId, SagaRows.TicketTable), row => row?.Version == 20, $"ticket {ticketId}");
        Assert.Equal("Open", row!.State);
    }

    [Fact]
    public async Task FiftySagasSubmittedConcurrently_AllPersist()
    {
        await using var host = await OrderHost.Start(infrastructure.Database, infrastructure.VirtualHost);
        var orderIds = Enumerable.Range(0, 50).Select(_ => Guid.NewGuid()).ToArray();

        await Task.WhenAll(orderIds.Select((id, i) => host.Bus.Publish(new OrderSubmitted(id, $"M-{i}", AcceptBy))));

        await Eventually.Until(() => SagaRows.Count(DataSource, orderIds), count => count == 50, "50 saga documents");
    }

    private Task<SagaRow?> RowWhere(Guid orderId, Func<SagaRow?, bool> done) =>
        Eventually.Until(() => SagaRows.Find(DataSource, orderId), done, $"saga {orderId}");
}
