using EventSourced.Commands.EventStore;
using EventSourced.Projections.Subscriptions;
using Npgsql;

namespace EventSourced.Broker.Hosting;

/// <summary>Creates the event store and read-model tables (idempotently) before anything else starts.</summary>
internal sealed class SchemaInitializer(EventStore store, NpgsqlDataSource dataSource, IEnumerable<IProjection> projections) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await store.EnsureSchema(ct);
        foreach (var projection in projections)
        {
            await using var command = dataSource.CreateCommand(projection.Schema);
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
