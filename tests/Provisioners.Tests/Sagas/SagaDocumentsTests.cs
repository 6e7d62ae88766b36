using EventSourced.Provisioners.Sagas.Persistence;
using EventSourced.Provisioners.Tests.Sagas.Orders;
using EventSourced.TestSupport;
using JasperFx;
using Marten;

namespace EventSourced.Provisioners.Tests.Sagas;

/// <summary>The writes the saga repository stages, against real PostgreSQL: each one fails rather than lose a write.</summary>
public sealed class SagaDocumentsTests : IAsyncLifetime
{
    private PostgresDatabase _database = null!;
    private DocumentStore _store = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.Create();
        _store = SagaInfrastructure.CreateStore(_database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        _store.Dispose();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Insert_StoresRevisionOne_AndLoadMapsTheRevisionOntoVersion()
    {
        var id = await Inserted("I-1");

        await using var session = _store.QuerySession();
        var loaded = await session.LoadAsync<OrderState>(id);
        Assert.Equal(("I-1", 1), (loaded!.OrderNumber, loaded.Version));
        Assert.Equal(1, (await SagaRows.Find(_database.DataSource, id))!.Version);
    }

    [Fact]
    public async Task Load_TakesVersionFromTheRevisionColumn_NotFromTheJson()
    {
        var id = await Inserted("V-1");
        await using (var command = _database.DataSource.CreateCommand($"UPDATE {SagaRows.OrderTable} SET mt_version = 5 WHERE id = $1"))
        {
            command.Parameters.Add(new() { Value = id });
            await command.ExecuteNonQueryAsync();
        }

        Assert.Equal(5, (await Load(id))!.Version);
    }

    [Fact]
    public async Task SecondInsertOfOneId_Fails_AndTheFirstSagaStays()
    {
        var id = await Inserted("first");

        await using var session = _store.LightweightSession();
        SagaDocuments.StageInsert(session, new OrderState { CorrelationId = id, OrderNumber = "second" });
        await Assert.ThrowsAsync<DocumentAlreadyExistsException>(() => session.SaveChangesAsync());

        Assert.Equal("first", (await Load(id))!.OrderNumber);
    }

    [Fact]
    public async Task Update_WritesTheNextRevision()
    {
        var id = await Inserted("U-1");

        await using (var session = _store.LightweightSession())
        {
            var saga = (await session.LoadAsync<OrderState>(id))!;
            saga.LineCount = 7;
            SagaDocuments.StageUpdate(session, saga);
            await session.SaveChangesAsync();
        }

        var row = (await SagaRows.Find(_database.DataSource, id))!;
        Assert.Equal((2, 2, 7), (row.Version, row.Data.GetProperty("Version").GetInt32(), row.Data.GetProperty("LineCount").GetInt32()));
    }

    [Fact]
    public async Task TwoUpdatesFromTheSameRevision_TheSecondCommitFails_AndTheFirstIsKept()
    {
        var id = await Inserted("C-1");
        await using var first = _store.LightweightSession();
        await using var second = _store.LightweightSession();
        var mine = (await first.LoadAsync<OrderState>(id))!;
        var theirs = (await second.LoadAsync<OrderState>(id))!;

        mine.LineCount = 1;
        SagaDocuments.StageUpdate(first, mine);
        await first.SaveChangesAsync();
        theirs.LineCount = 100;
        SagaDocuments.StageUpdate(second, theirs);

        await Assert.ThrowsAsync<ConcurrencyException>(() => second.SaveChangesAsync());
        var stored = (await Load(id))!;
        Assert.Equal((1, 2), (stored.LineCount, stored.Version));
    }

    [Fact]
    public async Task UpdateOfASagaDeletedMeanwhile_Fails_AndDoesNotBringItBack()
    {
        var id = await Inserted("Z-1");
        await using var deleter = _store.LightweightSession();
        await using var updater = _store.LightweightSession();
        var deleted = (await deleter.LoadAsync<OrderState>(id))!;
        var stale = (await updater.LoadAsync<OrderState>(id))!;

        SagaDocuments.StageDelete(deleter, deleted);
        await deleter.SaveChangesAsync();
        SagaDocuments.StageUpdate(updater, stale);

        await Assert.ThrowsAsync<ConcurrencyException>(() => updater.SaveChangesAsync());
        Assert.Null(await Load(id));
    }

    [Fact]
    public async Task DeleteOfASagaChangedMeanwhile_Fails_AndKeepsTheChange()
    {
        var id = await Inserted("D-1");
        await using var updater = _store.LightweightSession();
        await using var deleter = _store.LightweightSession();
        var changed = (await updater.LoadAsync<OrderState>(id))!;
        var stale = (await deleter.LoadAsync<OrderState>(id))!;

        changed.LineCount = 3;
        SagaDocuments.StageUpdate(updater, changed);
        await updater.SaveChangesAsync();
        SagaDocuments.StageDelete(deleter, stale);

        await Assert.ThrowsAsync<ConcurrencyException>(() => deleter.SaveChangesAsync());
        Assert.Equal(3, (await Load(id))!.LineCount);
    }

    [Fact]
    public async Task Delete_RemovesTheSaga()
    {
        var id = await Inserted("R-1");

        await using (var session = _store.LightweightSession())
        {
            SagaDocuments.StageDelete(session, (await session.LoadAsync<OrderState>(id))!);
            await session.SaveChangesAsync();
        }

        Assert.Null(await SagaRows.Find(_database.DataSource, id));
    }

    private async Task<Guid> Inserted(string orderNumber)
    {
        var saga = new OrderState { CorrelationId = Guid.NewGuid(), CurrentState = "Submitted", OrderNumber = orderNumber };
        await using var session = _store.LightweightSession();
        SagaDocuments.StageInsert(session, saga);
        await session.SaveChangesAsync();
        return saga.CorrelationId;
    }

    private async Task<OrderState?> Load(Guid id)
    {
        await using var session = _store.QuerySession();
        return await session.LoadAsync<OrderState>(id);
    }
}
