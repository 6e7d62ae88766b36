using EventSourced.Commands.Catalog;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Deployments.Model;
using EventSourced.Deployments.Planning;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.SubProvisioners;

namespace EventSourced.Provisioners.Deployments;

/// <summary>
/// The service adapter of the PostgreSQL offering: a dedicated instance (or a cluster's server) as a deployment of one
/// instance group <see cref="Group"/> with one job <see cref="Job"/> (and, for parameter <c>instances</c> N above 1, a group
/// <see cref="ReplicaGroup"/> of N - 1 streaming replicas linked to it), from its plan (the plan's <c>vm_type</c> metadata,
/// else its name, names the cloud config's VM type, whose RAM gives the memory settings), its parameters (the server
/// settings, over the VM type's) and its maintenance version.
/// What runs is read from the instance's log: its host and the AZ the cloud config puts that host in, its server's
/// address, its plan and settings.
/// </summary>
public static class PostgresServiceAdapter
{
    /// <summary>The instance implementation whose instances this adapter describes.</summary>
    public const string Implementation = "postgresql-server";

    public const string Group = "postgres";
    public const string Job = "postgres";
    /// <summary>The group of streaming replicas an instance with parameter <c>instances</c> above 1 has (<c>instances - 1</c> of them).</summary>
    public const string ReplicaGroup = ReplicaDecisions.Group;
    /// <summary>A replica's job: the server as a hot standby, consuming the primary's address by the link <see cref="PrimaryLink"/>.</summary>
    public const string ReplicaJob = "postgres-replica";
    public const string PrimaryLink = "primary";
    public const string Release = "postgresql";
    /// <summary>The software release of an instance recorded without a maintenance version.</summary>
    public const string DefaultVersion = "15";
    public const string VmTypeMetadata = "vm_type";
    /// <summary>The plan metadata giving the deployment's <c>update.vm.surge</c> (seed 002); absent: delete-create.</summary>
    public const string SurgeMetadata = "vm_surge";
    /// <summary>The persistent disk of every instance: its data directory, which a recreate moves to the new VM.</summary>
    public const string DiskType = "data-directory";

    /// <summary>Settings the server takes on a reload (pg_settings.context user or superuser); the rest needs a restart.</summary>
    public static readonly PropertyRules Rules = new(new[] { Job, ReplicaJob }.SelectMany(job => new[]
    {
        new PropertyRule(job, "work_mem", ActionKind.Reload),
        new PropertyRule(job, "statement_timeout", ActionKind.Reload),
        new PropertyRule(job, "log_min_duration_statement", ActionKind.Reload),
        new PropertyRule(job, "effective_cache_size", ActionKind.Reload),
        new PropertyRule(job, "maintenance_work_mem", ActionKind.Reload),
        // Created or dropped in the database before the deploy runs: the server itself only reloads (a replica gets them by replication).
        new PropertyRule(job, InstanceParameters.Extensions, ActionKind.Reload),
    }).ToList());

    public static string VmTypeOf(ServicePlan plan) => plan.Metadata.GetValueOrDefault(VmTypeMetadata) ?? plan.Name;

    /// <summary>
    /// The server settings chosen for an instance of <paramref name="plan"/> on <paramref name="release"/> with these
    /// parameters: the memory settings of the plan's VM type in the cloud config (<see cref="VmTypeMemory"/>; none without
    /// one), the release's settings over them, the parameters' settings over those.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Settings(ServicePlan plan, ServiceRelease? release, string? parameters, CloudConfig? cloud) =>
        VmTypeMemory.Chosen(cloud?.VmType(VmTypeOf(plan)), InstanceParameters.ServerSettingsOf(release, parameters));

    /// <summary>The settings moving from <paramref name="from"/> to <paramref name="to"/> changes through their VM types, for the dry run.</summary>
    public static IReadOnlyList<string> VmTypeSettingChanges(ServicePlan from, ServicePlan to, string? parameters, CloudConfig cloud) =>
        VmTypeOf(from) == VmTypeOf(to) ? [] :
        VmTypeMemory.Changes(cloud.VmType(VmTypeOf(from)), cloud.VmType(VmTypeOf(to)), InstanceParameters.ServerSettingsOf(parameters))
            .Select(change => $"{change} (vm_type {VmTypeOf(from)} → {VmTypeOf(to)})").ToList();

    /// <summary>
    /// The deployment an instance of <paramref name="plan"/> on <paramref name="release"/> with these parameters should be.
    /// Its replicas go to the AZs of parameter <c>azs</c>, spread with the primary (every AZ gets a server); without it,
    /// to <paramref name="primaryAz"/> (the AZ the primary runs in, when the cloud config has it), else over every AZ.
    /// </summary>
    public static DeploymentManifest Manifest(
        Guid instanceId, ServicePlan plan, ServiceRelease? release, string? parameters, string? maintenanceVersion, CloudConfig cloud,
        string? primaryAz = null)
    {
        var properties = PropertiesOf(plan, release, parameters, cloud);
        var update = UpdateOf(plan);
        var (azs, network, version) = (cloud.Azs.Select(a => a.Name).ToList(), cloud.Networks.FirstOrDefault()?.Name ?? "default", maintenanceVersion ?? DefaultVersion);
        var group = new InstanceGroup(Group, 1, azs, VmTypeOf(plan), DiskType, network, [],
            [new Job(Job, Release, version, properties, [])], update);
        var count = InstanceCount.Of(parameters);
        if (count <= 1) return new DeploymentManifest(NameOf(instanceId), [group], update);
        var replicaAzs = AzSpread.Of(parameters) ?? (primaryAz is not null && azs.Contains(primaryAz) ? new List<string> { primaryAz } : azs);
        // Replicas roll after the primary (serial), one at a time, delete-create: each is a copy of the primary, never of a disk moved.
        var replicas = new InstanceGroup(ReplicaGroup, count - 1, replicaAzs, VmTypeOf(plan), DiskType, network, [],
            [new Job(ReplicaJob, Release, version, properties, [new LinkConsumption(PrimaryLink, Group)])], UpdatePolicy.Default, SpreadWith: [Group]);
        return new DeploymentManifest(NameOf(instanceId), [group, replicas], update);
    }

    /// <summary>The AZ the primary runs in, as <see cref="Actual"/> has it (null: it runs nowhere yet).</summary>
    public static string? PrimaryAz(ActualDeployment actual) => actual.Instances.FirstOrDefault(i => i.Group == Group)?.Az;

    /// <summary>
    /// Why the cloud config cannot place the manifest (an AZ it no longer has, or one its network has no subnet for: the
    /// cloud config changed since the parameters were checked), or null.
    /// </summary>
    public static string? Unplaceable(DeploymentManifest manifest, CloudConfig cloud)
    {
        foreach (var group in manifest.InstanceGroups)
        foreach (var az in group.Azs)
        {
            if (cloud.Az(az) is null) return $"instance group '{group.Name}' names AZ '{az}', which the cloud config does not have";
            if (cloud.Network(group.Network)?.For(az) is null) return $"network '{group.Network}' of the cloud config has no subnet for AZ '{az}' (instance group '{group.Name}')";
        }
        return null;
    }

    /// <summary>The update policy of the plan's deployments: the default, with the surge its metadata names (a bad value is none).</summary>
    public static UpdatePolicy UpdateOf(ServicePlan plan) =>
        plan.Metadata.GetValueOrDefault(SurgeMetadata) is { } text && int.TryParse(text, out var surge) && surge >= 0
            ? UpdatePolicy.Default with { Surge = surge }
            : UpdatePolicy.Default;

    /// <summary>What runs for the instance now: its server, or nothing (not provisioned, or a database in a cluster).</summary>
    /// <param name="release">The release the instance runs (its recorded maintenance version's).</param>
    public static ActualDeployment Actual(ServiceInstance instance, ServicePlan plan, ServiceRelease? release, CloudConfig cloud)
    {
        if (instance.Server is not { } server || instance.Host is not { } host) return ActualDeployment.Empty;
        var az = AzOf(cloud, host);
        var settings = PropertiesOf(plan, release, instance.Parameters, cloud);
        var version = instance.MaintenanceVersion ?? DefaultVersion;
        var primary = new ActualInstance(Group, 0, az, host, $"{server.Host}:{server.Port}", VmTypeOf(plan), DiskType,
            new Dictionary<string, string> { [Job] = version }, settings.ToDictionary(p => $"{Job}.{p.Key}", p => p.Value), instance.Vm);
        var replicaProperties = settings.ToDictionary(p => $"{ReplicaJob}.{p.Key}", p => p.Value);
        // A replica runs on its own host (one recorded without one: on the primary's), in that host's AZ.
        return new ActualDeployment(instance.Replicas.Select(r => new ActualInstance(ReplicaGroup, r.Index, AzOf(cloud, r.WorkerHost ?? host),
            r.WorkerHost ?? host, $"{r.Host}:{r.Port}", VmTypeOf(plan), DiskType, new Dictionary<string, string> { [ReplicaJob] = version },
            replicaProperties, r.Vm)).Prepend(primary).ToList());
    }

    private static string AzOf(CloudConfig cloud, string host) => cloud.Azs.FirstOrDefault(a => a.Hosts.Contains(host))?.Name ?? "(not in the cloud config)";

    /// <summary>The job's properties: the server settings (<see cref="Settings"/>), and the extensions enabled in its database (when any).</summary>
    private static SortedDictionary<string, string> PropertiesOf(ServicePlan plan, ServiceRelease? release, string? parameters, CloudConfig cloud)
    {
        var properties = ServerSettings.Effective(Settings(plan, release, parameters, cloud));
        if (InstanceParameters.ExtensionsOf(release, parameters) is { Count: > 0 } extensions)
            properties[InstanceParameters.Extensions] = string.Join(",", extensions);
        return properties;
    }

    public static string NameOf(Guid instanceId) => $"pg-{instanceId}";
}
