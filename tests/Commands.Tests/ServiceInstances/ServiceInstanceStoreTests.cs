using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Commands.Tests.EventStore;

namespace EventSourced.Commands.Tests.ServiceInstances;

/// <summary>Load, decide and append on an instance's stream <c>service-instance-{id}</c>, with the inbox entry in the same commit.</summary>
public sealed class ServiceInstanceStoreTests(MartenFixture fixture) : IClassFixture<MartenFixture>
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    private ServiceInstanceStore Instances => new(fixture.Streams);

    [Fact]
    public async Task Handle_Accepted_AppendsToTheInstanceStream()
    {
        var id = Guid.NewGuid();

        var decision = await Provision(id);

        Assert.IsType<Decision.Accepted>(decision);
        Assert.IsType<ServiceInstanceProvisioningRequested>(Assert.Single((await fixture.Streams.Read(ServiceInstance.StreamId(id))).Events));
        var (state, version) = await Instances.Load(id);
        Assert.Equal((InstanceStatus.Provisioning, 1L, id), (state.Status, version, state.Id));
    }

    [Fact]
    public async Task Load_UnknownInstance_IsTheInitialStateAtNoStream()
    {
        var (state, version) = await Instances.Load(Guid.NewGuid());

        Assert.Equal(ServiceInstance.Initial, state);
        Assert.Equal(StreamVersion.NoStream, version);
    }

    [Fact]
    public async Task Handle_Rejected_AppendsNothing()
    {
        var id = Guid.NewGuid();

        var decision = await Instances.Handle(id, state => ServiceInstanceDecisions.Decide(state,
            new DeprovisionServiceInstance(id, Guid.NewGuid(), Now)), new EventMetadata(Guid.NewGuid()));

        Assert.Equal(DomainErrorCode.Gone, Assert.IsType<Decision.Rejected>(decision).Error.Code);
        Assert.Equal(StreamVersion.NoStream, (await Instances.Load(id)).Version);
    }

    [Fact]
    public async Task Handle_SameMessageTwice_SecondIsAlreadyDoneAndChangesNothing()
    {
        var id = Guid.NewGuid();
        var operation = Assert.IsType<Decision.Accepted>(await Provision(id)).OperationId;
        var message = new Deduplication("test-consumer", Guid.NewGuid());

        var first = await Record(id, operation, new StorageProvisioned(id, operation, "/d", 1024, Now), message);
        var second = await Record(id, operation, new ServerProvisioned(id, operation, "127.0.0.1", 5, Now), message);

        Assert.IsType<Decision.Accepted>(first);
        Assert.IsType<Decision.AlreadyDone>(second);
        var (state, version) = await Instances.Load(id);
        Assert.Equal(2, version);
        Assert.Null(state.Server);
    }

    [Fact]
    public async Task Handle_SixteenRacingProvisions_OneIsAcceptedTheOthersSeeItInProgress()
    {
        var id = Guid.NewGuid();
        var (decidedOnNoInstance, firstTwo) = (0, new Rendezvous(2));

        var decisions = await Race.Run(16, _ => Provision(id, state =>
        {
            if (state.Exists) return;
            Interlocked.Increment(ref decidedOnNoInstance);
            firstTwo.Arrive();
        }));

        var accepted = Assert.Single(decisions.OfType<Decision.Accepted>());
        Assert.All(decisions.Where(d => d != accepted),
            d => Assert.Equal(accepted.OperationId, Assert.IsType<Decision.AlreadyInProgress>(d).OperationId));
        Assert.IsType<ServiceInstanceProvisioningRequested>(Assert.Single((await fixture.Streams.Read(ServiceInstance.StreamId(id))).Events));
        // The first two racers to find no instance wait for each other before deciding: both decided to provision before
        // either committed, so the loser's commit was refused and it decided again on the winner's state. (Were the
        // provisions run one after the other, or serialized before the decision, only one would ever see no instance.)
        Assert.True(decidedOnNoInstance > 1, $"only {decidedOnNoInstance} racer decided on no instance: the provisions did not overlap");
    }

    /// <param name="deciding">Sees the state each decision is taken on (every attempt).</param>
    private Task<Decision> Provision(Guid id, Action<ServiceInstance>? deciding = null)
    {
        var command = new ProvisionServiceInstance(id, Guid.NewGuid(), "pg", "small", "org", "space", null, null, 1024, Now);
        return Instances.Handle(id, state =>
        {
            deciding?.Invoke(state);
            return ServiceInstanceDecisions.Decide(state, command);
        }, new EventMetadata(command.OperationId));
    }

    private Task<Decision> Record(Guid id, Guid operation, IDomainEvent outcome, Deduplication message) =>
        Instances.Handle(id, state => ServiceInstanceDecisions.Decide(state, new RecordOperationOutcome(operation, outcome)),
            new EventMetadata(operation, message.MessageId), message);
}
