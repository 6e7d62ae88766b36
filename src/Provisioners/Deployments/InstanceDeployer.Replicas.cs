using EventSourced.Commands.ServiceInstances;
using EventSourced.Deployments.Execution;
using EventSourced.Deployments.Planning;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Local;
using Microsoft.Extensions.Logging;

namespace EventSourced.Provisioners.Deployments;

/// <summary>The replicas of a new instance, and the removal of those on other hosts before its primary goes.</summary>
public sealed partial class InstanceDeployer
{
    /// <summary>
    /// The replicas a provisioning asks for (parameter <c>instances</c> above 1), made once the primary runs (on
    /// <paramref name="primary"/>) as a deploy makes them: each created, copied from the primary, started, and recorded
    /// (<see cref="ReplicaAdded"/>) in turn with the primary's <paramref name="settings"/>; on the primary's host, or, with
    /// parameter <c>azs</c>, where the engine places them over those AZs. One recorded already (a re-sent step) is
    /// skipped; a leftover of a try cut short starts over on its port.
    /// </summary>
    public async Task ProvisionReplicas(Guid operationId, Guid instanceId, LocalServerBackend servers, IReadOnlyDictionary<string, string> settings,
        ServerEndpoint primary, CancellationToken ct)
    {
        var state = (await instances.Load(instanceId, ct)).State;
        var count = InstanceCount.Of(state.Parameters);
        if (count <= 1) return;
        if (AzSpread.Of(state.Parameters) is not null)
        {
            await ProvisionSpreadReplicas(operationId, state with { Server = new ServerInfo(primary.Host, primary.Port) }, servers, settings, ct);
            return;
        }
        var local = new LocalDeploymentBackend(servers, instanceId, CurrentVmOf(state), settings);
        var backend = new RecordedReplicas(local, local, instances, instanceId, operationId, clock);
        for (var index = 0; index < count - 1; index++)
        {
            if (state.Replicas.Any(r => r.Index == index)) continue;
            var instance = $"{PostgresServiceAdapter.ReplicaGroup}/{index}";
            var vm = await backend.CreateVm(new VmRequest(instance, PostgresServiceAdapter.ReplicaGroup, LocalCloudConfig.Az,
                state.Host ?? LocalCloudConfig.Az, ""), ct);
            await backend.AttachDisk(vm, instance, ct);
            foreach (var step in new[] { LifecycleStep.Start, LifecycleStep.PostStart }) await backend.Run(step, vm, instance, ct);
        }
    }

    /// <summary>The replicas of a new instance with parameter <c>azs</c>: planned over those AZs with the primary, each made on its host.</summary>
    private async Task ProvisionSpreadReplicas(
        Guid operationId, ServiceInstance running, LocalServerBackend servers, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        running = running with { Host = running.Host ?? LocalCloudConfig.Az, Vm = CurrentVmOf(running) };
        var (cloud, unusable) = await CloudOf(running, ct);
        if (cloud is null) throw new BackendException($"the replicas cannot be placed: {unusable}");
        var (plan, release) = (Catalog!.FindPlan(running.ServiceId, running.PlanId)!, ReleaseOf(running, running.MaintenanceVersion));
        var actual = PostgresServiceAdapter.Actual(running, plan, release, cloud);
        var desired = PostgresServiceAdapter.Manifest(running.Id, plan, release, running.Parameters, running.MaintenanceVersion, cloud,
            PostgresServiceAdapter.PrimaryAz(actual));
        if (PostgresServiceAdapter.Unplaceable(desired, cloud) is { } unplaceable) throw new BackendException($"the replicas cannot be placed: {unplaceable}");
        var planned = Planner.Plan(desired, cloud, actual, PostgresServiceAdapter.Rules, servers.AddressesHeldBesides(running.Id));
        if (!planned.Succeeded) throw new BackendException($"the replicas cannot be placed: {string.Join("; ", planned.Failures)}");
        var local = new LocalDeploymentBackend(servers, running.Id, running.Vm!, settings,
            ReplicaPlacement.Of(planned, PostgresServiceAdapter.ReplicaGroup, running.Host!, Remote));
        var backend = new RecordedReplicas(local, local, instances, running.Id, operationId, clock);
        var vmType = desired.Group(PostgresServiceAdapter.ReplicaGroup)!.VmType;
        foreach (var create in planned.Groups.Where(g => g.Group == PostgresServiceAdapter.ReplicaGroup).SelectMany(g => g.Actions)
                     .Where(a => a.Kind == ActionKind.Create))
        {
            var vm = await backend.CreateVm(new VmRequest(create.Id, create.Group, create.Target!.Az, create.Target.Host, vmType, create.Target.Address), ct);
            await backend.AttachDisk(vm, create.Id, ct);
            foreach (var step in new[] { LifecycleStep.Start, LifecycleStep.PostStart }) await backend.Run(step, vm, create.Id, ct);
        }
    }

    /// <summary>
    /// Before the primary's server goes: the replicas the log has on other hosts, removed there (each through its host's
    /// queue) while the primary still runs. The replicas on this host go with the primary's own removal.
    /// </summary>
    public async Task RemoveRemoteReplicas(ServiceInstance state, CancellationToken ct)
    {
        var primaryHost = state.Host ?? LocalCloudConfig.Az;
        foreach (var replica in state.Replicas.Where(r => r.WorkerHost is { } host && host != primaryHost))
        {
            await Remote.Run(replica.WorkerHost!, new RemoteReplicaStep(state.Id, replica.Index, ReplicaStep.Remove), ct);
            logger.LogInformation("Removed replica {Index} of instance {InstanceId} on host {Host}", replica.Index, state.Id, replica.WorkerHost);
        }
    }
}
