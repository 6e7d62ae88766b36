using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Tests.ServiceInstances;

/// <summary>An export is an operation of the instance: it and an update or deprovision never run side by side.</summary>
public sealed class ExportDecisionsTests
{
    private static readonly Guid InstanceId = Guid.NewGuid();
    private static readonly Guid FirstOperation = Guid.NewGuid();
    private static readonly Guid ExportOperation = Guid.NewGuid();
    private static readonly Guid SnapshotId = Guid.NewGuid();
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 5, 0, 0, TimeSpan.Zero);

    private static readonly IDomainEvent[] Provisioned =
    [
        new ServiceInstanceProvisioningRequested(InstanceId, FirstOperation, "pg", "small", "org", "space", null, null, 1024, Now, Host: "host-a"),
        new StorageProvisioned(InstanceId, FirstOperation, "/data/x", 1024, Now),
        new ServerProvisioned(InstanceId, FirstOperation, "127.0.0.1", 56001, Now),
        new DatabaseProvisioned(InstanceId, FirstOperation, "service", "service_admin", "v1:secret", Now),
        new ServiceInstanceProvisioned(InstanceId, FirstOperation, Now),
    ];

    private static readonly SnapshotExportRequested ExportRequested = new(InstanceId, ExportOperation, SnapshotId, null, Now.AddDays(7), Now, Host: "host-a");

    private static ExportServiceInstance Export(Guid? operationId = null) =>
        new(InstanceId, operationId ?? Guid.NewGuid(), Guid.NewGuid(), "nightly", Now.AddDays(7), Now);

    private static ServiceInstance Given(params IEnumerable<IDomainEvent>[] events) => ServiceInstance.Fold(events.SelectMany(e => e));

    [Fact]
    public void Export_ProvisionedIdleInstance_IsRequestedOnItsHost()
    {
        var command = Export();
        var accepted = Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(Given(Provisioned), command));
        var requested = Assert.IsType<SnapshotExportRequested>(Assert.Single(accepted.Events));
        Assert.Equal((command.SnapshotId, "nightly", "host-a"), (requested.SnapshotId, requested.Destination, requested.Host));
        var state = Given(Provisioned, accepted.Events);
        Assert.Equal((OperationKind.Export, OperationState.InProgress), (state.LastOperation!.Kind, state.LastOperation.State));
        Assert.Contains(command.SnapshotId.ToString(), state.LastOperation.Description);
    }

    [Fact]
    public void Deprovision_WhileExporting_IsRefusedAsConcurrent()
    {
        var decision = ServiceInstanceDecisions.Decide(Given(Provisioned, [ExportRequested]), new DeprovisionServiceInstance(InstanceId, Guid.NewGuid(), Now));
        Assert.Equal(DomainErrorCode.ConcurrencyError, Assert.IsType<Decision.Rejected>(decision).Error.Code);
    }

    [Fact]
    public void Update_WhileExporting_IsRefusedAsConcurrent()
    {
        var decision = ServiceInstanceDecisions.Decide(Given(Provisioned, [ExportRequested]),
            new UpdateServiceInstance(InstanceId, Guid.NewGuid(), "large", null, null, null, 2048, (_, _) => true, Now));
        Assert.Equal(DomainErrorCode.ConcurrencyError, Assert.IsType<Decision.Rejected>(decision).Error.Code);
    }

    [Fact]
    public void Export_WhileDeprovisioning_OrExporting_IsRefusedAsConcurrent()
    {
        var deprovisioning = new ServiceInstanceDeprovisioningRequested(InstanceId, Guid.NewGuid(), Now);
        Assert.Equal(DomainErrorCode.ConcurrencyError,
            Assert.IsType<Decision.Rejected>(ServiceInstanceDecisions.Decide(Given(Provisioned, [deprovisioning]), Export())).Error.Code);
        Assert.Equal(DomainErrorCode.ConcurrencyError,
            Assert.IsType<Decision.Rejected>(ServiceInstanceDecisions.Decide(Given(Provisioned, [ExportRequested]), Export())).Error.Code);
    }

    [Fact]
    public void Export_OfNoInstance_IsNotFound()
    {
        var decision = ServiceInstanceDecisions.Decide(ServiceInstance.Initial, Export());
        Assert.Equal(DomainErrorCode.NotFound, Assert.IsType<Decision.Rejected>(decision).Error.Code);
    }

    [Fact]
    public void Exported_EndsTheExport_AndTheInstanceIsUsableAgain()
    {
        var exported = new SnapshotExported(InstanceId, ExportOperation, SnapshotId, "/s/x.tar.gz", 10, "ab", "postgresql 15", Now.AddDays(7), Now);
        var recorded = ServiceInstanceDecisions.Decide(Given(Provisioned, [ExportRequested]), new RecordOperationOutcome(ExportOperation, exported));
        var state = Given(Provisioned, [ExportRequested], Assert.IsType<Decision.Accepted>(recorded).Events);
        Assert.Equal((OperationState.Succeeded, $"Exported snapshot {SnapshotId}", SnapshotId), (state.LastOperation!.State, state.LastOperation.Description, state.LastSnapshot));
        Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(state, new DeprovisionServiceInstance(InstanceId, Guid.NewGuid(), Now)));
    }

    [Fact]
    public void Expired_IsRecordedOnce_AndOnlyForASnapshotOfTheInstance()
    {
        var exported = new SnapshotExported(InstanceId, ExportOperation, SnapshotId, "/s/x.tar.gz", 10, "ab", "postgresql 15", Now.AddDays(7), Now);
        IDomainEvent[] stream = [.. Provisioned, ExportRequested, exported];
        var first = Assert.IsType<Decision.Accepted>(ServiceInstanceDecisions.Decide(stream, SnapshotId, Now.AddDays(8)));
        Assert.IsType<SnapshotExpired>(Assert.Single(first.Events));
        Assert.IsType<Decision.AlreadyDone>(ServiceInstanceDecisions.Decide([.. stream, .. first.Events], SnapshotId, Now.AddDays(9)));
        Assert.IsType<Decision.Rejected>(ServiceInstanceDecisions.Decide(stream, Guid.NewGuid(), Now.AddDays(8)));
    }

    [Fact]
    public void Import_DiffersFromAProvisionOfTheSameInstance_ByItsSnapshot()
    {
        var request = new ServiceInstanceProvisioningRequested(InstanceId, FirstOperation, "pg", "small", "org", "space", null, null, 1024, Now)
            { RestoreFromSnapshot = SnapshotId };
        var other = new ProvisionServiceInstance(InstanceId, Guid.NewGuid(), "pg", "small", "org", "space", null, null, 1024, Now)
            { RestoreFromSnapshot = Guid.NewGuid() };
        Assert.Equal(DomainErrorCode.Conflict, Assert.IsType<Decision.Rejected>(ServiceInstanceDecisions.Decide(Given([request]), other)).Error.Code);
        var same = other with { RestoreFromSnapshot = SnapshotId };
        Assert.Equal(FirstOperation, Assert.IsType<Decision.AlreadyInProgress>(ServiceInstanceDecisions.Decide(Given([request]), same)).OperationId);
        Assert.Equal($"Import of snapshot {SnapshotId} requested", Given([request]).LastOperation!.Description);
    }
}
