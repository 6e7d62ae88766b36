using Npgsql;

namespace EventSourced.Projections.Subscriptions;

public static class ProjectionSchema
{
    /// <summary>
    /// Runs the projection's DDL under its advisory lock: concurrent CREATE … IF NOT EXISTS from two nodes can still
    /// collide on the catalog, and the lock also keeps DDL from interleaving with a batch or a rebuild.
    /// </summary>
    public static async Task Create(NpgsqlDataSource dataSource, IProjection projection, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await SubscriptionLock.Acquire(connection, transaction, projection.Name, ct);
        await using (var command = new NpgsqlCommand(projection.Schema, connection, transaction)) await command.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
    }
}
