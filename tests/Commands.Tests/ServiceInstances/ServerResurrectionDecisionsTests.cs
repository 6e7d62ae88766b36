using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Tests.ServiceInstances;

/// <summary>When the resurrector may bring a dead server back (and record it): never against an operation in progress.</summary>
public sealed class ServerResurrectionDecisionsTests
{
    private static readonly Guid InstanceId = Guid.NewGuid();
    private static readonly Guid FirstOperation = Guid.NewGuid();
    private static readonly Guid SecondOperation = Guid.NewGuid();
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private const int Port = 56001;

    private static readonly IDomainEvent[] Provisioned =
    [
        new ServiceInstanceProvisioningRequested(InstanceId, FirstOperation, "pg", "small", "org", "space", null, null, 1024, Now),
        new StorageProvisioned(InstanceId, FirstOperation, "/data/x", 1024, Now),
        new ServerProvisioned(InstanceId, FirstOperation, "127.0.0.1", Port, Now),
        new DatabaseProvisioned(InstanceId, FirstOperation, "service", "service_admin", "v1:secret", Now),
        new ServiceInstanceProvisioned(InstanceId, FirstOperation, Now),
    ];

    private static RecordServerResurrection Resurrect(int port = Port) => new(InstanceId, Guid.NewGuid(), port, "postmaster 42 is gone", Now);

    private static Decision Decide(IEnumerable<IDomainEvent> given, RecordServerResurrection command) =>
        ServiceInstanceDecisions.Decide(ServiceInstance.Fold(given), command);

    [Fact]
    public void ProvisionedAndIdle_RecordsTheResurrection_AndTheInstanceIsUnchanged()
    {
        var command = Resurrect();
        var accepted = Assert.IsType<Decision.Accepted>(Decide(Provisioned, command));

        var resurrected = Assert.IsType<ServerResurrected>(Assert.Single(accepted.Events));
        Assert.Equal((InstanceId, Port, Now, "postmaster 42 is gone"), (resurrected.InstanceId, resurrected.Port, resurrected.ResurrectedAt, resurrected.Reason));
        Assert.Equal(command.ResurrectionId, accepted.OperationId);
        var state = ServiceInstance.Fold(Provisioned);
        Assert.Same(state, ServiceInstance.Evolve(state, resurrected));
    }

    [Fact]
    public void BeingDeprovisioned_IsNotResurrected() =>
        AssertRejected(Decide([.. Provisioned, new ServiceInstanceDeprovisioningRequested(InstanceId, SecondOperation, Now)], Resurrect()));

    [Fact]
    public void DeprovisionFailedAfterItsServerStopped_IsNotResurrected() =>
        AssertRejected(Decide([.. Provisioned, new ServiceInstanceDeprovisioningRequested(InstanceId, SecondOperation, Now),
            new ResourceDeprovisioningFailed(InstanceId, SecondOperation, ResourceKind.Storage, "busy", Now),
            new ServiceInstanceDeprovisioningFailed(InstanceId, SecondOperation, "busy", Now)], Resurrect()));

    [Fact]
    public void BeingRolledBack_IsNotResurrected() =>
        AssertRejected(Decide([.. Provisioned[..3], new ResourceProvisioningFailed(InstanceId, FirstOperation, ResourceKind.Database, "no", Now)], Resurrect()));

    [Fact]
    public void StillBeingProvisioned_IsNotResurrected() => AssertRejected(Decide(Provisioned[..3], Resurrect()));

    [Fact]
    public void WhileAnUpdateRuns_IsNotResurrected() =>
        AssertRejected(Decide([.. Provisioned, new ServiceInstanceUpdateRequested(InstanceId, SecondOperation, "small", "{}", null, 1024, Now)], Resurrect()));

    [Fact]
    public void Deprovisioned_IsNotResurrected() =>
        AssertRejected(Decide([.. Provisioned, new ServiceInstanceDeprovisioningRequested(InstanceId, SecondOperation, Now),
            new ServiceInstanceDeprovisioned(InstanceId, SecondOperation, Now)], Resurrect()));

    [Fact]
    public void OnAnotherPortThanTheLogGaveIt_IsNotResurrected() => AssertRejected(Decide(Provisioned, Resurrect(port: Port + 1)));

    private static void AssertRejected(Decision decision) => Assert.IsType<Decision.Rejected>(decision);
}
