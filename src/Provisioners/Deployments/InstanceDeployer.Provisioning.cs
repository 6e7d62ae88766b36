using EventSourced.Commands.ServiceInstances;
using EventSourced.Deployments.Model;
using EventSourced.Deployments.Planning;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Local;
using Microsoft.Extensions.Logging;

namespace EventSourced.Provisioners.Deployments;

/// <summary>A new instance's servers, made by the engine: its primary and its replicas as one planned, recorded deploy.</summary>
public sealed partial class InstanceDeployer
{
    /// <summary>Whether the engine provisions this instance's servers (the PostgreSQL adapter's, on the local backend, of a plan the catalog has).</summary>
    public bool Provisions(ServiceInstance state, IServerBackend servers) =>
        servers is LocalServerBackend && state.Shape != InstanceShape.ClusterDatabase && Catalog?.FindPlan(state.ServiceId, state.PlanId) is not null;

    /// <summary>
    /// Provisions the instance's servers as a deploy from nothing: the desired deployment of its plan, parameters and
    /// maintenance version is planned against an empty one under the uploaded cloud config (else
    /// <see cref="LocalCloudConfig"/>), the plan recorded (<see cref="DeploymentPlanned"/>) before anything runs, then
    /// every step run and recorded — the primary created on this host (where the instance's storage is) on the address
    /// the engine chose, when still free, then each replica (parameter <c>instances</c>) where the plan puts it. A step
    /// re-sent after a worker died resumes the recorded plan; nothing done is done again. Answers the primary's endpoint.
    /// </summary>
    /// <exception cref="BackendException">The plan cannot be made (nothing was created) or a step failed (which, and why).</exception>
    public Task<ServerEndpoint> Provision(Guid operationId, Guid instanceId, LocalServerBackend servers, CancellationToken ct) =>
        OneAtATime(instanceId, async () =>
        {
            var state = (await instances.Load(instanceId, ct)).State;
            if (state.LastOperation is not { InProgress: true } operation || operation.Id != operationId || state.Status != InstanceStatus.Provisioning)
                throw new BackendException($"operation {operationId} of instance {instanceId} is no longer in progress");
            if (state.RollingBack) throw new BackendException($"provisioning {operationId} of instance {instanceId} is being rolled back: no server is made for it");
            var (cloud, unusable) = await CloudOf(state, ct);
            if (cloud is null) throw new BackendException($"the servers cannot be planned, nothing was created: {unusable}");
            var settings = PostgresServiceAdapter.Settings(Catalog!.FindPlan(state.ServiceId, state.PlanId)!, ReleaseOf(state, state.MaintenanceVersion),
                state.Parameters, cloud);
            if (RecordedPlan(state, operationId) is not { } plan)
            {
                var (planned, refusal) = PlanNew(state, cloud, servers);
                if (refusal is not null) throw new BackendException($"the servers cannot be planned, nothing was created: {refusal}");
                (state, plan) = await Record(state, operationId, planned!, ct);
            }
            var local = BackendOf(state, plan, servers, settings, provisioning: true);
            var result = await Execute(state, operationId, plan, local, ct);
            var placed = plan.Groups.SelectMany(g => g.Actions).Single(a => a.Id == Instance).Target!.Address;
            if (result.Failure is { } failure)
            {
                if (!await MadeAndNoLongerWanted(state, operationId, local, ct)) throw new BackendException(failure.ToString());
                // The provisioning ended or is rolled back while its deploy ran, and the deploy made its server: reported
                // as made, the late success is refused and the server recorded as an orphan, which the orphan remover removes.
                logger.LogWarning("Provisioning {OperationId} of instance {InstanceId} ended while its deploy ran ({Failure}): its server is reported, to be removed as an orphan",
                    operationId, instanceId, failure);
                return servers.RecordedEndpoint(instanceId) ?? new ServerEndpoint(LocalServerBackend.Address, LocalReplicaSteps.PortOf(placed) ?? 0);
            }
            var endpoint = servers.RecordedEndpoint(instanceId) ?? throw new BackendException($"the server of instance {instanceId} has no port recorded");
            if (placed != $"{endpoint.Host}:{endpoint.Port}")
                logger.LogWarning("The server of instance {InstanceId} runs on {Host}:{Port}, not on {Planned} where the plan placed it (not free when claimed)",
                    instanceId, endpoint.Host, endpoint.Port, placed);
            return endpoint;
        }, ct);

    /// <summary>
    /// Whether the deploy made the instance's server (this run claimed it, or an earlier run recorded its create VM) and
    /// the provisioning no longer wants it (it failed, was cancelled or is being rolled back meanwhile).
    /// </summary>
    private async Task<bool> MadeAndNoLongerWanted(ServiceInstance state, Guid operationId, LocalDeploymentBackend local, CancellationToken ct) =>
        (local.ClaimedServer || state.Deployment?.Steps.Any(s => s.Instance == Instance && s.Step == JournaledBackend.CreateVmStep) == true)
        && (await instances.Load(state.Id, ct)).State.NoLongerWants(operationId);

    /// <summary>
    /// The plan of a new instance: everything created. The primary goes to this host, where the instance's storage was
    /// made: its group in this host's AZ alone, and this host first among the AZ's hosts (the engine places a new
    /// instance on the least loaded host, the first listed when none is loaded). Refused when the cloud config has no AZ
    /// with this host.
    /// </summary>
    private (DeploymentPlan? Plan, string? Refusal) PlanNew(ServiceInstance state, CloudConfig cloud, LocalServerBackend servers)
    {
        var host = state.Host ?? LocalCloudConfig.Az;
        if (cloud.Azs.FirstOrDefault(a => a.Hosts.Contains(host)) is not { } az)
            return (null, $"the cloud config has no AZ with host '{host}', where the instance's storage is: add the host to an AZ (PUT /api/v1/cloud-config)");
        var desired = PostgresServiceAdapter.Manifest(state.Id, Catalog!.FindPlan(state.ServiceId, state.PlanId)!, ReleaseOf(state, state.MaintenanceVersion),
            state.Parameters, state.MaintenanceVersion, cloud, primaryAz: az.Name);
        desired = desired with
        {
            InstanceGroups = [.. desired.InstanceGroups.Select(g => g.Name == PostgresServiceAdapter.Group ? g with { Azs = [az.Name] } : g)],
        };
        var hereFirst = cloud with { Azs = [.. cloud.Azs.Select(a => a == az ? a with { Hosts = [host, .. a.Hosts.Where(h => h != host)] } : a)] };
        var (plan, refusal) = PlanAgainst(desired, hereFirst, ActualDeployment.Empty, state.Id, servers);
        if (plan is null) return (null, refusal);
        var primary = plan.Groups.SelectMany(g => g.Actions).Single(a => a.Id == Instance);
        return primary.Target!.Host == host ? (plan, null)
            : (null, $"the plan places {Instance} on host {primary.Target.Host}, and the instance's storage is on {host}");
    }
}
