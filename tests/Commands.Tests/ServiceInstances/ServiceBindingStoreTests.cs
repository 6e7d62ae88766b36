using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Commands.Tests.EventStore;

namespace EventSourced.Commands.Tests.ServiceInstances;

/// <summary>Binds decided on the binding's own stream with the instance's current state: many binds of one instance never contend.</summary>
public sealed class ServiceBindingStoreTests(MartenFixture fixture) : IClassFixture<MartenFixture>
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    private ServiceInstanceStore Instances => new(fixture.Streams);

    private ServiceBindingStore Bindings => new(fixture.Streams);

    [Fact]
    public async Task Handle_HundredConcurrentBindsOfOneInstance_AreAllAccepted()
    {
        var instanceId = await ProvisionedInstance();
        var bindingIds = Enumerable.Range(0, 100).Select(_ => Guid.NewGuid()).ToArray();

        var decisions = await Race.Run(bindingIds.Length, i => Bind(instanceId, bindingIds[i]));

        Assert.All(decisions, d => Assert.IsType<Decision.Accepted>(d));
        foreach (var bindingId in bindingIds)
            Assert.Equal((BindingStatus.Creating, instanceId), await StatusAndInstance(bindingId));
        Assert.Equal(2, (await Instances.Load(instanceId)).Version);
    }

    [Fact]
    public async Task Handle_RacingBindsOfOneBindingId_OneIsAcceptedTheOthersSeeItInProgress()
    {
        var instanceId = await ProvisionedInstance();
        var bindingId = Guid.NewGuid();

        var decisions = await Race.Run(16, _ => Bind(instanceId, bindingId));

        var accepted = Assert.Single(decisions.OfType<Decision.Accepted>());
        Assert.All(decisions.Where(d => d != accepted),
            d => Assert.Equal(accepted.OperationId, Assert.IsType<Decision.AlreadyInProgress>(d).OperationId));
        Assert.Single((await fixture.Streams.Read(ServiceBinding.StreamId(bindingId))).Events);
    }

    [Fact]
    public async Task Handle_BindOfAnUnknownInstance_IsNotFoundAndAppendsNothing()
    {
        var bindingId = Guid.NewGuid();

        var decision = await Bind(Guid.NewGuid(), bindingId);

        Assert.Equal(DomainErrorCode.NotFound, Assert.IsType<Decision.Rejected>(decision).Error.Code);
        Assert.Null(await Bindings.Load(bindingId));
    }

    [Fact]
    public async Task Handle_BindThenOutcome_LoadsTheCreatedBinding()
    {
        var instanceId = await ProvisionedInstance();
        var bindingId = Guid.NewGuid();
        var operation = Assert.IsType<Decision.Accepted>(await Bind(instanceId, bindingId)).OperationId;

        var outcome = await Bindings.Handle(bindingId, binding => ServiceBindingDecisions.Decide(binding,
                new RecordBindingOutcome(bindingId, operation, new ServiceBindingCreated(instanceId, bindingId, operation, "u", "v1:p", Now))),
            new EventMetadata(operation));

        Assert.IsType<Decision.Accepted>(outcome);
        var binding = await Bindings.Load(bindingId);
        Assert.Equal((BindingStatus.Created, "u", "v1:p"), (binding!.Status, binding.Username, binding.EncryptedPassword));
    }

    [Fact]
    public async Task Handle_DeprovisionWhileABindIsBeingDecided_WaitsForTheBindAndABindAfterItIsRefused()
    {
        var instanceId = await ProvisionedInstance();
        var (deciding, release) = (new TaskCompletionSource(), new TaskCompletionSource());
        var command = new BindServiceInstance(instanceId, Guid.NewGuid(), Guid.NewGuid(), "app", null, null, null, Now);
        var bind = Bindings.Handle(instanceId, command.BindingId, async (instance, binding, _) =>
        {
            var decided = ServiceBindingDecisions.Decide(instance, binding, null, command);
            deciding.TrySetResult();
            await release.Task;
            return decided;
        }, new EventMetadata(command.OperationId));
        await deciding.Task;

        var deprovision = Instances.Handle(instanceId,
            state => ServiceInstanceDecisions.Decide(state, new DeprovisionServiceInstance(instanceId, Guid.NewGuid(), Now)),
            new EventMetadata(Guid.NewGuid()));
        await Task.WhenAny(deprovision, Task.Delay(TimeSpan.FromSeconds(1)));
        Assert.False(deprovision.IsCompleted, "the deprovision committed while a bind that saw the instance provisioned was deciding");
        release.SetResult();

        Assert.IsType<Decision.Accepted>(await bind);
        Assert.IsType<Decision.Accepted>(await deprovision);
        var late = Assert.IsType<Decision.Rejected>(await Bind(instanceId, Guid.NewGuid()));
        Assert.Equal(DomainErrorCode.ConcurrencyError, late.Error.Code);
    }

    private async Task<Guid> ProvisionedInstance()
    {
        var id = Guid.NewGuid();
        var provision = new ProvisionServiceInstance(id, Guid.NewGuid(), "pg", "small", "org", "space", null, null, 1024, Now);
        var metadata = new EventMetadata(provision.OperationId);
        Assert.IsType<Decision.Accepted>(await Instances.Handle(id, state => ServiceInstanceDecisions.Decide(state, provision), metadata));
        Assert.IsType<Decision.Accepted>(await Instances.Handle(id, state => ServiceInstanceDecisions.Decide(state,
            new RecordOperationOutcome(provision.OperationId, new ServiceInstanceProvisioned(id, provision.OperationId, Now))), metadata));
        return id;
    }

    private Task<Decision> Bind(Guid instanceId, Guid bindingId)
    {
        var command = new BindServiceInstance(instanceId, bindingId, Guid.NewGuid(), "app", null, null, null, Now);
        return Bindings.Handle(instanceId, bindingId,
            (instance, binding, _) => Task.FromResult(ServiceBindingDecisions.Decide(instance, binding, null, command)),
            new EventMetadata(command.OperationId));
    }

    private async Task<(BindingStatus, Guid)> StatusAndInstance(Guid bindingId)
    {
        var binding = await Bindings.Load(bindingId);
        Assert.NotNull(binding);
        return (binding.Status, binding.InstanceId);
    }
}
