using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using Npgsql;

namespace EventSourced.Broker.Tests.Migration;

/// <summary>The broker does not start on the previous event store's events until `db migrate-events` has copied them.</summary>
public sealed class UnmigratedDatabaseTests
{
    [Fact]
    public async Task The_broker_refuses_to_start_until_the_old_events_are_migrated_then_starts_where_the_old_one_stopped()
    {
        await using var environment = await BrokerEnvironment.Create();
        var old = new OldEventStore(environment.Database.DataSource);
        await old.Create();
        var (instanceId, operationId) = (Guid.NewGuid(), Guid.NewGuid());
        await old.Append(ServiceInstance.StreamId(instanceId), new EventMetadata(Guid.NewGuid()),
            new ServiceInstanceProvisioningRequested(instanceId, operationId, "svc", "small", "org", "space", null, null, 1024, old.Clock));
        await old.Append(ServiceInstance.StreamId(instanceId), new EventMetadata(Guid.NewGuid()),
            new ServiceInstanceProvisioned(instanceId, operationId, old.Clock));
        // The old bus forwarder had published everything: the new one must not publish it again.
        await using (var checkpoint = environment.Database.DataSource.CreateCommand("""
            INSERT INTO subscription_checkpoints (name, transaction_id, position)
            SELECT 'bus-forwarder', transaction_id, position FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1
            """))
            await checkpoint.ExecuteNonQueryAsync();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => BrokerProcess.Start(environment));
        Assert.Contains("db migrate-events", refused.Message);

        var (exitCode, output, error) = await MigrateEventsCli.Run(environment.Database.ConnectionString);
        Assert.True(exitCode == 0, $"exit {exitCode}\n{output}\n{error}");
        await using var broker = await BrokerProcess.Start(environment);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(2, await environment.EventCount());
        Assert.Equal(1, await Count(environment, "broker.mt_event_progression WHERE name = 'bus-forwarder:All' AND last_seq_id = 2"));
    }

    private static async Task<long> Count(BrokerEnvironment environment, string from)
    {
        await using var command = environment.Database.DataSource.CreateCommand($"SELECT count(*) FROM {from}");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
