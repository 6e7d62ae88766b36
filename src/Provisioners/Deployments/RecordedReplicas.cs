using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Deployments.Execution;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Local;

namespace EventSourced.Provisioners.Deployments;

/// <summary>
/// Puts the replicas a deploy makes and removes on the instance's stream: <see cref="ReplicaAdded"/> once a replica
/// streams (its post-start), <see cref="ReplicaRemoved"/> once its VM is deleted. Recorded again when the step was
/// skipped as done (a resumed deploy): the decision records each once. Its port and host are asked of
/// <paramref name="local"/>, which knows where each replica runs.
/// </summary>
public sealed class RecordedReplicas(
    IDeploymentBackend inner, LocalDeploymentBackend local, ServiceInstanceStore instances, Guid instanceId, Guid operationId, TimeProvider clock)
    : IDeploymentBackend
{
    public Task<string> CreateVm(VmRequest request, CancellationToken cancellation) => inner.CreateVm(request, cancellation);

    public async Task DeleteVm(string vm, CancellationToken cancellation)
    {
        await inner.DeleteVm(vm, cancellation);
        if (LocalReplicaSteps.IndexOf(vm) is { } index)
            await Record(s => ReplicaDecisions.Decide(s, new RecordReplicaRemoved(operationId, index, clock.GetUtcNow())), cancellation);
    }

    public Task AttachDisk(string vm, string instance, CancellationToken cancellation) => inner.AttachDisk(vm, instance, cancellation);

    public Task DetachDisk(string vm, string instance, CancellationToken cancellation) => inner.DetachDisk(vm, instance, cancellation);

    public async Task Run(LifecycleStep step, string vm, string instance, CancellationToken cancellation)
    {
        await inner.Run(step, vm, instance, cancellation);
        if (step != LifecycleStep.PostStart || LocalReplicaSteps.IndexOf(instance) is not { } index) return;
        var (host, port) = await local.ReplicaEndpoint(vm, cancellation);
        await Record(s => ReplicaDecisions.Decide(s, new RecordReplicaAdded(operationId, index, LocalServerBackend.Address, port, vm, clock.GetUtcNow(), host)),
            cancellation);
    }

    private async Task Record(Func<ServiceInstance, Decision> decide, CancellationToken ct)
    {
        if (await instances.Handle(instanceId, decide, new EventMetadata(operationId), null, ct) is Decision.Rejected rejected)
            throw new BackendException($"the replica was not recorded: {rejected.Error.Description}");
    }
}
