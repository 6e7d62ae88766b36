using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Commands.Tests.EventStore;
using Npgsql;

namespace EventSourced.Commands.Tests.ServiceInstances;

/// <summary>Load, decide, and the append travelling in one batch with the inbox record and the inline views.</summary>
public sealed class ServiceInstanceStoreTests(EventStoreFixture fixture) : IClassFixture<EventStoreFixture>, IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;
    private Store store = null!;
    private ServiceInstanceStore instances = null!;

    public async Task InitializeAsync()
    {
        store = new Store(fixture.Store.DataSource, EventTypeRegistry.FromAssemblies(typeof(ServiceInstance).Assembly));
        instances = new ServiceInstanceStore(store, [new StatusView()]);
        await using var create = fixture.Store.DataSource.CreateCommand(StatusView.Schema);
        await create.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Handle_Accepted_AppendsAndWritesTheViewTogether()
    {
        var id = Guid.NewGuid();

        var decision = await Provision(id);

        Assert.IsType<Decision.Accepted>(decision);
        Assert.IsType<ServiceInstanceProvisioningRequested>(Assert.Single(await store.ReadStream(ServiceInstance.StreamId(id))).Data);
        Assert.Equal((1L, nameof(InstanceStatus.Provisioning)), await StatusView.Find(fixture.Store.DataSource, id));
    }

    [Fact]
    public async Task Handle_SameMessageTwice_SecondIsAlreadyDoneAndChangesNothing()
    {
        var id = Guid.NewGuid();
        var operation = (await Provision(id) as Decision.Accepted)!.OperationId;
        var message = new Deduplication("test-consumer", Guid.NewGuid());
        StorageProvisioned Outcome() => new(id, operation, "/d", 1024, Now);

        var first = await Record(id, operation, Outcome(), message);
        var second = await Record(id, operation, new ServerProvisioned(id, operation, "127.0.0.1", 5, Now), message);

        Assert.IsType<Decision.Accepted>(first);
        Assert.IsType<Decision.AlreadyDone>(second);
        Assert.Equal(2, (await store.ReadStream(ServiceInstance.StreamId(id))).Count);
        Assert.Equal(2L, (await StatusView.Find(fixture.Store.DataSource, id))!.Value.Version);
    }

    [Fact]
    public async Task Handle_RacingProvisions_OneIsAcceptedTheOthersSeeItInProgress()
    {
        var id = Guid.NewGuid();

        var decisions = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Provision(id)));

        var accepted = Assert.Single(decisions.OfType<Decision.Accepted>());
        Assert.All(decisions.Where(d => d != accepted), d => Assert.Equal(accepted.OperationId, Assert.IsType<Decision.AlreadyInProgress>(d).OperationId));
        Assert.Single(await store.ReadStream(ServiceInstance.StreamId(id)));
        Assert.Equal((1L, nameof(InstanceStatus.Provisioning)), await StatusView.Find(fixture.Store.DataSource, id));
    }

    private Task<Decision> Provision(Guid id)
    {
        var command = new ProvisionServiceInstance(id, Guid.NewGuid(), "pg", "small", "org", "space", null, null, 1024, Now);
        return instances.Handle(id, state => ServiceInstanceDecisions.Decide(state, command), new EventMetadata(command.OperationId));
    }

    private Task<Decision> Record(Guid id, Guid operation, IDomainEvent outcome, Deduplication message) =>
        instances.Handle(id, state => ServiceInstanceDecisions.Decide(state, new RecordOperationOutcome(operation, outcome)),
            new EventMetadata(operation, message.MessageId), message);

    /// <summary>An inline view: the instance's status as of a stream version.</summary>
    private sealed class StatusView : IServiceInstanceView
    {
        public const string Schema = """
            CREATE TABLE IF NOT EXISTS instance_status (instance_id uuid PRIMARY KEY, version bigint NOT NULL, status text NOT NULL)
            """;

        public NpgsqlBatchCommand Write(ServiceInstance state, long version) =>
            new("""
                INSERT INTO instance_status VALUES ($1, $2, $3)
                ON CONFLICT (instance_id) DO UPDATE SET version = excluded.version, status = excluded.status
                """)
            {
                Parameters = { new() { Value = state.Id }, new() { Value = version }, new() { Value = state.Status.ToString() } },
            };

        public static async Task<(long Version, string Status)?> Find(NpgsqlDataSource dataSource, Guid id)
        {
            await using var command = dataSource.CreateCommand("SELECT version, status FROM instance_status WHERE instance_id = $1");
            command.Parameters.Add(new() { Value = id });
            await using var reader = await command.ExecuteReaderAsync();
            return await reader.ReadAsync() ? (reader.GetInt64(0), reader.GetString(1)) : null;
        }
    }
}
