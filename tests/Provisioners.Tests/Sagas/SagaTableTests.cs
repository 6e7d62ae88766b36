using System.Text.Json;
using EventSourced.Provisioners.Sagas.Persistence;
using EventSourced.Provisioners.Tests.Sagas.Orders;
using EventSourced.TestSupport;
using Npgsql;
using NpgsqlTypes;

namespace EventSourced.Provisioners.Tests.Sagas;

public sealed class SagaTableTests : IAsyncLifetime
{
    private const string Table = "saga_due";
    private PostgresDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresDatabase.Create();

    public Task DisposeAsync() => _database.DisposeAsync().AsTask();

    [Fact]
    public async Task FindDue_ReturnsOnlySagasWhoseDeadlinePassed_EarliestFirst()
    {
        var now = new DateTimeOffset(2030, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var tables = new SagaTable(_database.DataSource);
        await tables.EnsureCreated(Table);
        var longOverdue = await Insert(now.AddHours(-2).ToOffset(TimeSpan.FromHours(5)));
        var dueNow = await Insert(now.ToOffset(TimeSpan.FromHours(-7)));
        await Insert(now.AddSeconds(1));
        await Insert(deadline: null);

        var due = await tables.FindDue(Table, nameof(OrderState.AcceptBy), now);

        Assert.Equal([longOverdue, dueNow], due);
    }

    [Fact]
    public async Task FindDue_OnATableNoSagaHasUsedYet_ReturnsNothing()
    {
        var due = await new SagaTable(_database.DataSource).FindDue(Table, nameof(OrderState.AcceptBy), DateTimeOffset.UtcNow);

        Assert.Empty(due);
    }

    [Theory]
    [InlineData("Saga_Order")]
    [InlineData("saga_order; DROP TABLE x")]
    [InlineData("")]
    public async Task FindDue_RejectsTableNamesThatAreNotPlainIdentifiers(string table)
    {
        await Assert.ThrowsAsync<ArgumentException>(
            () => new SagaTable(_database.DataSource).FindDue(table, nameof(OrderState.AcceptBy), DateTimeOffset.UtcNow));
    }

    private async Task<Guid> Insert(DateTimeOffset? deadline)
    {
        var saga = new OrderState { CorrelationId = Guid.NewGuid(), CurrentState = "Submitted", AcceptBy = deadline, Version = 1 };
        await using var command = _database.DataSource.CreateCommand(
            $"INSERT INTO {Table} (correlation_id, current_state, data, version) VALUES ($1, $2, $3, 1)");
        command.Parameters.Add(new() { Value = saga.CorrelationId });
        command.Parameters.Add(new() { Value = saga.CurrentState });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(saga), NpgsqlDbType = NpgsqlDbType.Jsonb });
        await command.ExecuteNonQueryAsync();
        return saga.CorrelationId;
    }
}
