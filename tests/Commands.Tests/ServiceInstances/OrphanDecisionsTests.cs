using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Tests.ServiceInstances;

/// <summary>Orphans: what a step created after its operation stopped wanting it is recorded once and pending until removed.</summary>
public sealed class OrphanDecisionsTests
{
    private static readonly Guid InstanceId = Guid.NewGuid();
    private static readonly Guid Operation = Guid.NewGuid();
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly IDomainEvent[] FailedProvisioning =
    [
        new ServiceInstanceProvisioningRequested(InstanceId, Operation, "pg", "small", "org", "space", null, null, 1024, Now),
        new StorageProvisioned(InstanceId, Operation, "/data/x", 1024, Now),
        new ServiceInstanceOperationTimedOut(InstanceId, Operation, Now),
        new StorageDeprovisioned(InstanceId, Operation, Now),
        new ServiceInstanceProvisioningFailed(InstanceId, Operation, "timed out", Now),
    ];

    private static ServiceInstance Given(params IDomainEvent[] events) => ServiceInstance.Fold(FailedProvisioning.Concat(events));

    [Fact]
    public void Orphan_AfterTheOperationFailed_IsRecordedAndPending()
    {
        var accepted = Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(Given(), new RecordOrphan(Operation, ResourceKind.Server, Now)));
        var found = Assert.IsType<OrphanedResourceFound>(Assert.Single(accepted.Events));
        Assert.Equal([new Orphan(Operation, ResourceKind.Server)], Given(found).Orphans);
    }

    [Fact]
    public void Orphan_RecordedTwice_IsAlreadyDone() =>
        Assert.IsType<Decision.AlreadyDone>(ServiceInstanceDecisions.Decide(
            Given(new OrphanedResourceFound(InstanceId, Operation, ResourceKind.Server, Now)), new RecordOrphan(Operation, ResourceKind.Server, Now)));

    [Fact]
    public void OrphanRemoved_ClearsIt_AndASecondRemovalIsAlreadyDone()
    {
        var pending = Given(new OrphanedResourceFound(InstanceId, Operation, ResourceKind.Server, Now));
        var accepted = Assert.IsType<Decision.Accepted>(
            ServiceInstanceDecisions.Decide(pending, new RecordOrphanRemoved(Operation, ResourceKind.Server, false, Now)));
        var removed = ServiceInstance.Fold(FailedProvisioning.Append(new OrphanedResourceFound(InstanceId, Operation, ResourceKind.Server, Now))
            .Concat(accepted.Events));
        Assert.Empty(removed.Orphans);
        Assert.IsType<Decision.AlreadyDone>(ServiceInstanceDecisions.Decide(removed, new RecordOrphanRemoved(Operation, ResourceKind.Server, false, Now)));
    }

    [Fact]
    public void Orphan_StaysPending_WhenTheInstanceIsProvisionedAgain()
    {
        var again = Given(
            new OrphanedResourceFound(InstanceId, Operation, ResourceKind.Server, Now),
            new ServiceInstanceProvisioningRequested(InstanceId, Guid.NewGuid(), "pg", "small", "org", "space", null, null, 1024, Now));
        Assert.Equal([new Orphan(Operation, ResourceKind.Server)], again.Orphans);
    }

    [Fact]
    public void Holds_TellsWhetherTheCurrentLifeRecordedTheResource()
    {
        var state = Given(new ServiceInstanceProvisioningRequested(InstanceId, Guid.NewGuid(), "pg", "small", "org", "space", null, null, 1024, Now),
            new StorageProvisioned(InstanceId, Operation, "/data/y", 1024, Now));
        Assert.True(state.Holds(ResourceKind.Storage));
        Assert.False(state.Holds(ResourceKind.Server));
    }
}
