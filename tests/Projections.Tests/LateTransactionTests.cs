using System.Diagnostics;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Tests.Support;
using EventSourced.TestSupport;
using Marten.Services;
using Npgsql;
using Xunit.Abstractions;

namespace EventSourced.Projections.Tests;

/// <summary>
/// The trap of every event store: sequence order is not commit order. A transaction that drew its sequence number and
/// commits seconds later, after others appended past it, must still reach the async projections (the daemon's safety
/// settings in EventStoreServiceCollectionExtensions.Configure). With <c>SkipStaleGapsDespiteLiveTransactionsAfter</c>
/// set to 1 s this test fails: the daemon skips the gap and the late event is lost.
/// </summary>
public sealed class LateTransactionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(10);

    private readonly RecordingSubscription forwarded = new();
    private PostgresDatabase db = null!;
    private BrokerNode node = null!;

    public async Task InitializeAsync()
    {
        db = await PostgresDatabase.Create();
        node = await BrokerNode.Start(db, daemon: true, configure: options => options.Events.Subscribe(forwarded));
    }

    public async Task DisposeAsync()
    {
        await node.DisposeAsync();
        await db.DisposeAsync();
    }

    [Fact]
    public async Task Daemon_EventCommittedTenSecondsAfterLaterOnes_IsProjectedAndForwardedNotSkipped()
    {
        await node.Instances.Provision(Guid.NewGuid());
        await node.CaughtUp();
        var (late, others) = (Guid.NewGuid(), new List<Guid>());
        var clock = Stopwatch.StartNew();

        await using (var connection = await db.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using (var session = node.Store.LightweightSession(SessionOptions.ForTransaction(transaction)))
            {
                session.Events.StartStream(ServiceInstance.StreamId(late), new ServiceInstanceProvisioningRequested(
                    late, Guid.NewGuid(), "service", "plan", "org", "space", null, null, 1024, BrokerCommands.T0));
                await session.SaveChangesAsync();
            }
            while (clock.Elapsed < Hold)
            {
                others.Add(Guid.NewGuid());
                await node.Instances.RequestProvisioning(others[^1]);
                await Task.Delay(100);
            }
            output.WriteLine($"{others.Count} instances appended by other writers while the transaction was open; " +
                $"{await Projected(others)} of them projected before it committed");
            await transaction.CommitAsync();
        }
        var committedAt = clock.Elapsed;

        Assert.True(await Sequence(late) < await Sequence(others[0]), "the late transaction drew the earlier sequence number");
        await Eventually.True(async () => await node.Directory.Find(late) is not null, "the late event is projected", seconds: 30);
        output.WriteLine($"late event projected {(clock.Elapsed - committedAt).TotalMilliseconds:F0} ms after its commit, " +
            $"{clock.Elapsed.TotalSeconds:F1} s after it was appended");
        await Eventually.True(() => Task.FromResult(forwarded.Streams.ContainsKey(ServiceInstance.StreamId(late))),
            "the late event is handed to the subscriptions (as to the bus forwarder)", seconds: 30);
        await Eventually.True(async () => await Projected(others) == others.Count, "the other writers' events are projected");
        Assert.All(others, id => Assert.True(forwarded.Streams.ContainsKey(ServiceInstance.StreamId(id))));
        output.WriteLine($"all {others.Count} others projected {(clock.Elapsed - committedAt).TotalMilliseconds:F0} ms after the commit");
    }

    private async Task<int> Projected(IEnumerable<Guid> instances)
    {
        var count = 0;
        foreach (var id in instances) count += await node.Directory.Find(id) is null ? 0 : 1;
        return count;
    }

    private async Task<long> Sequence(Guid instanceId)
    {
        await using var command = db.DataSource.CreateCommand("SELECT min(seq_id) FROM broker.mt_events WHERE stream_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = ServiceInstance.StreamId(instanceId) });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
