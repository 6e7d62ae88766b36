using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Projections.Tests.Support;

/// <summary>The commands the broker and the provisioners send, each expected to be accepted.</summary>
public static class BrokerCommands
{
    /// <summary>Whole seconds: the tables keep microseconds, so folded and stored timestamps compare equal.</summary>
    public static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static async Task<Guid> RequestProvisioning(this ServiceInstanceStore instances, Guid instanceId, CancellationToken ct = default)
    {
        var command = new ProvisionServiceInstance(instanceId, Guid.NewGuid(), "service", "plan", "org", "space", null, null, 1024, T0);
        return await Accept(instances, instanceId, state => ServiceInstanceDecisions.Decide(state, command), ct);
    }

    public static async Task CompleteProvisioning(this ServiceInstanceStore instances, Guid instanceId, Guid operationId, CancellationToken ct = default)
    {
        IDomainEvent[] outcomes =
        [
            new StorageProvisioned(instanceId, operationId, $"/data/{instanceId}", 1024, T0.AddSeconds(1)),
            new ServerProvisioned(instanceId, operationId, "127.0.0.1", 20001, T0.AddSeconds(2)),
            new DatabaseProvisioned(instanceId, operationId, "db", "admin", "encrypted", T0.AddSeconds(3)),
            new ServiceInstanceProvisioned(instanceId, operationId, T0.AddSeconds(4)),
        ];
        foreach (var outcome in outcomes) await instances.Record(instanceId, operationId, outcome, ct);
    }

    public static async Task<Guid> Provision(this ServiceInstanceStore instances, Guid instanceId, CancellationToken ct = default)
    {
        var operationId = await instances.RequestProvisioning(instanceId, ct);
        await instances.CompleteProvisioning(instanceId, operationId, ct);
        return operationId;
    }

    public static async Task Deprovision(this ServiceInstanceStore instances, Guid instanceId, CancellationToken ct = default)
    {
        var command = new DeprovisionServiceInstance(instanceId, Guid.NewGuid(), T0.AddSeconds(10));
        var operationId = await Accept(instances, instanceId, state => ServiceInstanceDecisions.Decide(state, command), ct);
        IDomainEvent[] outcomes =
        [
            new DatabaseDeprovisioned(instanceId, operationId, T0.AddSeconds(11)),
            new ServerDeprovisioned(instanceId, operationId, T0.AddSeconds(12)),
            new StorageDeprovisioned(instanceId, operationId, T0.AddSeconds(13)),
            new ServiceInstanceDeprovisioned(instanceId, operationId, T0.AddSeconds(14)),
        ];
        foreach (var outcome in outcomes) await instances.Record(instanceId, operationId, outcome, ct);
    }

    public static async Task<Guid> RequestBinding(this ServiceBindingStore bindings, Guid instanceId, Guid bindingId, CancellationToken ct = default)
    {
        var command = new BindServiceInstance(instanceId, bindingId, Guid.NewGuid(), "app", null, null, null, T0.AddSeconds(5));
        var decision = await bindings.Handle(instanceId, bindingId,
            (instance, binding, _) => Task.FromResult(ServiceBindingDecisions.Decide(instance, binding, null, command)),
            new EventMetadata(Guid.NewGuid()), ct: ct);
        return Assert.IsType<Decision.Accepted>(decision).OperationId;
    }

    private static Task Record(this ServiceInstanceStore instances, Guid instanceId, Guid operationId, IDomainEvent outcome, CancellationToken ct) =>
        Accept(instances, instanceId, state => ServiceInstanceDecisions.Decide(state, new RecordOperationOutcome(operationId, outcome)), ct);

    private static async Task<Guid> Accept(ServiceInstanceStore instances, Guid instanceId, Func<ServiceInstance, Decision> decide, CancellationToken ct)
    {
        var decision = await instances.Handle(instanceId, decide, new EventMetadata(Guid.NewGuid()), ct: ct);
        return Assert.IsType<Decision.Accepted>(decision).OperationId;
    }
}
