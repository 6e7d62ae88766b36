using System.Text.Json;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.CloudConfigs;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Deployments.Execution;
using EventSourced.Deployments.Model;
using EventSourced.Deployments.Planning;
using EventSourced.Deployments.Yaml;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Local;
using EventSourced.Provisioners.SubProvisioners;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Deployments;

/// <summary>
/// An update of a dedicated PostgreSQL instance on the local backend, through the deployment engine: the desired
/// deployment (<see cref="PostgresServiceAdapter.Manifest"/> of the requested plan, parameters and maintenance version)
/// is planned against what runs (<see cref="PostgresServiceAdapter.Actual"/>) under the uploaded cloud config (else
/// <see cref="LocalCloudConfig"/>); the plan is recorded on the instance's stream (<see cref="DeploymentPlanned"/>) before
/// anything runs, then executed step by step, each step recorded (<see cref="DeploymentStepCompleted"/>). A step re-sent
/// after a worker died finds the recorded plan and steps and resumes: nothing done is done again.
/// </summary>
public sealed partial class InstanceDeployer(
    ServiceInstanceStore instances, CloudConfigStore cloudConfigs, IServiceProvider services, IOptions<LocalBackendOptions> options,
    TimeProvider clock, ILogger<InstanceDeployer> logger)
{
    private static readonly JsonSerializerOptions PlanJson = new(JsonSerializerDefaults.Web);

    /// <summary>The instance the deployment's server is, as the engine names it.</summary>
    public const string Instance = ServiceInstance.DeploymentInstance;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, SemaphoreSlim> _running = new();

    private ServiceCatalog? Catalog => services.GetService<ServiceCatalog>();

    private IRemoteReplicaSteps Remote => services.GetService<IRemoteReplicaSteps>() ?? NoRemoteHosts.Instance;

    /// <summary>Whether the engine deploys this instance's update (a server of the PostgreSQL adapter whose plans are known).</summary>
    public bool Deploys(ServiceInstance state, IServerBackend servers) =>
        servers is LocalServerBackend && state.Shape != InstanceShape.ClusterDatabase && state.Server is not null
        && state.Pending is { } pending && Catalog?.FindPlan(state.ServiceId, state.PlanId) is not null
        && Catalog.FindPlan(state.ServiceId, pending.PlanId) is not null;

    /// <summary>
    /// Plans (or finds the recorded plan), runs what is not done yet, and answers the step's outcome. One deploy of an
    /// instance at a time in this process: a step re-sent while its first run still goes (a nudge, a redelivery) waits,
    /// then reads the log again and finds the work done.
    /// </summary>
    public Task<IDomainEvent> Update(Guid operationId, Guid instanceId, LocalServerBackend servers, CancellationToken ct) =>
        OneAtATime(instanceId, async () =>
        {
            var state = (await instances.Load(instanceId, ct)).State;
            if (state.LastOperation is not { InProgress: true } operation || operation.Id != operationId || state.Pending is not { } update)
                throw new BackendException($"operation {operationId} of instance {instanceId} is no longer in progress");
            if (update.Applied) return new ServerReconfigured(instanceId, operationId, update.DiskMb, clock.GetUtcNow());
            if (operation.InstanceUsable is { } usable)
                return new ResourceUpdateFailed(instanceId, operationId, ResourceKind.Server, operation.Description, clock.GetUtcNow(), usable);
            return await Deploy(operationId, state, servers, ct);
        }, ct);

    /// <summary>Runs <paramref name="work"/> for the instance once no other deploy of it runs in this process.</summary>
    private async Task<T> OneAtATime<T>(Guid instanceId, Func<Task<T>> work, CancellationToken ct)
    {
        var gate = _running.GetOrAdd(instanceId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            return await work();
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<IDomainEvent> Deploy(Guid operationId, ServiceInstance state, LocalServerBackend servers, CancellationToken ct)
    {
        var update = state.Pending!;
        var (cloud, unusable) = await CloudOf(state, ct);
        if (unusable is not null)
            return state.Deployment?.OperationId == operationId
                ? new ResourceUpdateFailed(state.Id, operationId, ResourceKind.Server, $"the recorded deployment cannot go on: {unusable}",
                    clock.GetUtcNow(), await servers.IsRunning(state.Id, ct))
                : new ResourceUpdateFailed(state.Id, operationId, ResourceKind.Server,
                    $"the deployment cannot be planned, nothing was changed: {unusable}", clock.GetUtcNow(), InstanceUsable: true);
        // The server's settings: the requested plan's VM type's memory settings, the requested parameters over them.
        var settings = PostgresServiceAdapter.Settings(Catalog!.FindPlan(state.ServiceId, update.PlanId)!, ReleaseOf(state, update.MaintenanceVersion),
            update.Parameters, cloud!);
        if (RecordedPlan(state, operationId) is not { } plan)
        {
            // Extensions first, in one transaction: a refused drop (something still uses the extension) changes nothing.
            if (await ChangeExtensions(state, update, ct) is { } refused)
                return new ResourceUpdateFailed(state.Id, operationId, ResourceKind.Server, refused, clock.GetUtcNow(), InstanceUsable: true);
            var (planned, refusal) = Plan(state, update, cloud!, servers);
            if (refusal is not null)
                return new ResourceUpdateFailed(state.Id, operationId, ResourceKind.Server,
                    $"the deployment cannot be planned, nothing was changed: {refusal}", clock.GetUtcNow(), InstanceUsable: true);
            (state, plan) = await Record(state, operationId, planned!, ct);
        }

        var result = await Execute(state, operationId, plan, BackendOf(state, plan, servers, settings, provisioning: false), ct);
        if (result.Failure is { } failure)
        {
            var usable = await servers.IsRunning(state.Id, ct);
            logger.LogWarning("Deployment {Deployment} of operation {OperationId} failed: {Failure} (the instance {Usable})",
                plan.Deployment, operationId, failure, usable ? "still serves" : "does not serve");
            return new ResourceUpdateFailed(state.Id, operationId, ResourceKind.Server, failure.ToString(), clock.GetUtcNow(), usable);
        }
        if (result.SweepFailures.Count > 0)
            logger.LogWarning("Deployment {Deployment}: {Failures}", plan.Deployment, string.Join("; ", result.SweepFailures));
        return new ServerReconfigured(state.Id, operationId, update.DiskMb, clock.GetUtcNow());
    }

    private ServiceRelease? ReleaseOf(ServiceInstance state, string? version) => Catalog?.ReleaseOf(state.ServiceId, version);

    /// <summary>
    /// Enables the extensions the update adds and drops those it removes (the release's and the parameters'), and runs the
    /// migration of a release the update moves to, all in one transaction; the refusal when the database refuses.
    /// </summary>
    private async Task<string?> ChangeExtensions(ServiceInstance state, PendingUpdate update, CancellationToken ct)
    {
        var (was, will) = (ReleaseOf(state, state.MaintenanceVersion), ReleaseOf(state, update.MaintenanceVersion));
        var (before, after) = (InstanceParameters.ExtensionsOf(was, state.Parameters), InstanceParameters.ExtensionsOf(will, update.Parameters));
        var migration = update.MaintenanceVersion != state.MaintenanceVersion && !string.IsNullOrWhiteSpace(will?.Migration) ? will.Migration : null;
        if ((before.SequenceEqual(after) && migration is null) || state.Database is not { } database) return null;
        try
        {
            await services.GetRequiredService<ProvisionerBackends>().DatabaseOf(state.ServiceId)
                .ApplyExtensions(state.Id, database.Database, after.Except(before).ToList(), before.Except(after).ToList(), ct, migration);
            return null;
        }
        catch (BackendException refused)
        {
            return migration is null ? $"nothing was changed: {refused.Message}"
                : $"the upgrade to release {will!.Version} was rolled back, nothing was changed: {refused.Message}";
        }
    }

    private static string CurrentVm(ServiceInstance state, LocalServerBackend servers) =>
        LocalDeploymentBackend.AttachedVm(servers, state.Id) ?? CurrentVmOf(state);

    /// <summary>The VM the log says the instance's server was last started on (the one it was provisioned on: <c>postgres/0#0</c>).</summary>
    public static string CurrentVmOf(ServiceInstance state) => state.Vm ?? $"{Instance}#0";

    /// <summary>
    /// The cloud config the instance is deployed under: the uploaded one, else <see cref="LocalCloudConfig"/> (no VM types:
    /// the server keeps the broker's default settings). Null with the reason when the uploaded one no longer loads.
    /// </summary>
    private Task<(CloudConfig? Cloud, string? Unusable)> CloudOf(ServiceInstance state, CancellationToken ct) =>
        LocalCloudConfig.Of(cloudConfigs, state, options.Value.PortRangeStart, options.Value.PortRangeEnd, ct);

    /// <summary>
    /// The server settings a new server of the instance starts with: its plan's VM type's memory settings under the
    /// uploaded cloud config, its release's settings over them, its parameters' settings over those. Null when the engine
    /// does not deploy the instance's servers (another backend or implementation, a plan not in the catalog) or the
    /// uploaded cloud config no longer loads: the caller keeps the parameters' settings alone.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>?> SettingsOfNewServer(ServiceInstance state, IServerBackend servers, CancellationToken ct)
    {
        if (servers is not LocalServerBackend || state.Shape == InstanceShape.ClusterDatabase
            || Catalog?.FindPlan(state.ServiceId, state.PlanId) is not { } plan) return null;
        var release = ReleaseOf(state, state.MaintenanceVersion);
        if ((await cloudConfigs.Load(ct)).Current is not { } uploaded) return PostgresServiceAdapter.Settings(plan, release, state.Parameters, cloud: null);
        try { return PostgresServiceAdapter.Settings(plan, release, state.Parameters, CloudConfigLoader.Load($"cloud-config v{uploaded.Version}", uploaded.Yaml)); }
        catch (ConfigException) { return null; }
    }

    /// <summary>The plan recorded for the operation (a re-sent step resumes it), or null.</summary>
    private static DeploymentPlan? RecordedPlan(ServiceInstance state, Guid operationId) =>
        state.Deployment is { } recorded && recorded.OperationId == operationId ? JsonSerializer.Deserialize<DeploymentPlan>(recorded.Plan, PlanJson) : null;

    /// <summary>
    /// Records the plan on the instance's stream before anything runs, and answers the state with the plan on the record:
    /// a step run twice at once records one plan, and the one recorded is the plan.
    /// </summary>
    private async Task<(ServiceInstance State, DeploymentPlan Plan)> Record(ServiceInstance state, Guid operationId, DeploymentPlan plan, CancellationToken ct)
    {
        var actions = plan.Groups.SelectMany(g => g.Actions).Where(a => a.Kind != ActionKind.Keep).Select(a => a.ToString()).ToList();
        await Append(state.Id, operationId, s => DeploymentDecisions.Decide(s,
            new RecordDeploymentPlanned(operationId, plan.Deployment, actions, JsonSerializer.Serialize(plan, PlanJson), clock.GetUtcNow())), ct);
        state = (await instances.Load(state.Id, ct)).State;
        var recorded = RecordedPlan(state, operationId) ?? throw new BackendException($"operation {operationId} is no longer in progress");
        logger.LogInformation("Deployment {Deployment} of operation {OperationId} planned: {Actions}", recorded.Deployment, operationId,
            actions.Count == 0 ? "nothing to change" : string.Join("; ", actions));
        return (state, recorded);
    }

    /// <summary>
    /// Runs the recorded plan on this host's servers (replicas the plan puts on other hosts through those hosts' queues),
    /// skipping the steps the log has for the operation and recording each step that completes, and the replicas made
    /// and removed. Orphaned VMs outlive the deploy: recorded on the instance's stream, deleted by its host's sweeper
    /// after the grace period.
    /// </summary>
    private Task<ExecutionResult> Execute(ServiceInstance state, Guid operationId, DeploymentPlan plan, LocalDeploymentBackend local, CancellationToken ct)
    {
        var done = state.Deployment?.OperationId == operationId ? state.Deployment.Steps : [];
        var backend = new RecordedReplicas(new JournaledBackend(local, done,
            step => Append(state.Id, operationId, s => DeploymentDecisions.Decide(s,
                new RecordDeploymentStep(operationId, step.Instance, step.Step, step.Vm, step.Seconds, clock.GetUtcNow())), ct)),
            local, instances, state.Id, operationId, clock);
        var orphans = new RecordedOrphans(instances, state.Id, operationId, state.Host, clock);
        return new DeploymentExecutor(backend, new RealClock(), keeper: orphans).Execute(plan);
    }

    /// <summary>The engine's backend for the instance's deploy on this host: its replicas on the hosts the plan puts them on.</summary>
    private LocalDeploymentBackend BackendOf(ServiceInstance state, DeploymentPlan plan, LocalServerBackend servers,
        IReadOnlyDictionary<string, string> settings, bool provisioning) =>
        new(servers, state.Id, CurrentVm(state, servers), settings,
            ReplicaPlacement.Of(plan, PostgresServiceAdapter.ReplicaGroup, state.Host ?? LocalCloudConfig.Az, Remote), provisioning);

    /// <summary>
    /// The plan from <paramref name="actual"/> to <paramref name="desired"/> under <paramref name="cloud"/>, on addresses no
    /// other instance's servers or replicas hold here; or why the cloud config cannot place it.
    /// </summary>
    private static (DeploymentPlan? Plan, string? Refusal) PlanAgainst(DeploymentManifest desired, CloudConfig cloud, ActualDeployment actual,
        Guid instanceId, LocalServerBackend servers, string? recreate = null)
    {
        if (PostgresServiceAdapter.Unplaceable(desired, cloud) is { } unplaceable) return (null, unplaceable);
        var plan = Planner.Plan(desired, cloud, actual, PostgresServiceAdapter.Rules, servers.AddressesHeldBesides(instanceId), recreate);
        return plan.Succeeded ? (plan, null) : (null, string.Join("; ", plan.Failures));
    }

    private (DeploymentPlan? Plan, string? Refusal) Plan(ServiceInstance state, PendingUpdate update, CloudConfig cloud, LocalServerBackend servers)
    {
        var (from, to) = (Catalog!.FindPlan(state.ServiceId, state.PlanId)!, Catalog.FindPlan(state.ServiceId, update.PlanId)!);
        var host = state.Host ?? LocalCloudConfig.Az;
        var address = $"{state.Server!.Host}:{state.Server.Port}";

        // The VM is what the backend says holds the disk: an update that failed after moving it did not record the move.
        var actual = PostgresServiceAdapter.Actual(state with { Host = host, Vm = CurrentVm(state, servers) }, from,
            ReleaseOf(state, state.MaintenanceVersion), cloud);
        var desired = PostgresServiceAdapter.Manifest(state.Id, to, ReleaseOf(state, update.MaintenanceVersion), update.Parameters, update.MaintenanceVersion, cloud,
            PostgresServiceAdapter.PrimaryAz(actual));
        var (plan, refusal) = PlanAgainst(desired, cloud, actual, state.Id, servers, update.Recreate ? "recreate requested" : null);
        if (plan is null) return (null, refusal);
        // The local backend runs an instance on its host, on its port: a plan that would move either is refused whole.
        // Its replicas run where the plan puts them (another host's through that host's queue), each on a port of its own.
        foreach (var action in plan.Groups.SelectMany(g => g.Actions))
        {
            if (action.Group == PostgresServiceAdapter.ReplicaGroup) continue;
            if (action.Target is null) return (null, $"the plan deletes instance {action.Id}, and an update keeps the instance's server");
            if (action.Target.Host != host || action.Target.Address != address)
                return (null, $"the plan moves instance {action.Id} from {host} {address} to {action.Target.Host} {action.Target.Address}; " +
                              "the local backend keeps an instance on its host and address (the cloud config must place it where it runs)");
        }
        return (plan, null);
    }

    private async Task Append(Guid instanceId, Guid operationId, Func<ServiceInstance, Decision> decide, CancellationToken ct)
    {
        if (await instances.Handle(instanceId, decide, new EventMetadata(operationId), null, ct) is Decision.Rejected rejected)
            throw new BackendException($"the deploy stopped: {rejected.Error.Description}");
    }
}
