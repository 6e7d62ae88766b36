using System.Collections.Immutable;
using System.Text.Json.Serialization;
using EventSourced.Commands.Clusters;
using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.ServiceInstances;

public enum InstanceStatus { None, Provisioning, Provisioned, ProvisioningFailed, Deprovisioning, Deprovisioned, DeprovisioningFailed }

public sealed record StorageInfo(string DataDirectory, int DiskMb);

public sealed record ServerInfo(string Host, int Port);

public sealed record DatabaseInfo(string Database, string AdminUsername, string EncryptedAdminPassword);

/// <summary>A resource a step created for an operation that no longer wanted it, waiting to be removed.</summary>
public sealed record Orphan(Guid OperationId, ResourceKind Resource);

/// <summary>A plan or parameter change requested but not yet applied; it becomes the instance's own when it succeeds.</summary>
/// <param name="Applied">The server was reconfigured for it (recorded once; a re-sent step changes nothing).</param>
public sealed record PendingUpdate(string PlanId, string? Parameters, string? MaintenanceVersion, int DiskMb, bool Applied = false, bool Recreate = false);

/// <summary>The life of one service instance, folded from its stream <c>service-instance-{id}</c>.</summary>
public sealed record ServiceInstance
{
    public static readonly ServiceInstance Initial = new();

    public Guid Id { get; init; }
    public InstanceStatus Status { get; init; }
    public string ServiceId { get; init; } = "";
    public string PlanId { get; init; } = "";
    public string OrganizationGuid { get; init; } = "";
    public string SpaceGuid { get; init; } = "";
    public string? Parameters { get; init; }
    public string? Context { get; init; }
    public string? MaintenanceVersion { get; init; }
    public int DiskMb { get; init; }
    public ImmutableList<Operation> Operations { get; init; } = [];
    public bool RollingBack { get; init; }
    public PendingUpdate? Pending { get; init; }
    public StorageInfo? Storage { get; init; }
    public ServerInfo? Server { get; init; }
    public DatabaseInfo? Database { get; init; }
    public ImmutableList<Orphan> Orphans { get; init; } = [];
    public InstanceShape Shape { get; init; }

    /// <summary>The snapshot this life of the instance was imported from (its database restored from it), if any.</summary>
    public Guid? RestoreFromSnapshot { get; init; }

    /// <summary>The latest snapshot exported from the instance (shown on its dashboard).</summary>
    public Guid? LastSnapshot { get; init; }

    /// <summary>Its scheduled backups and the backups it keeps (this life's: its storage holds them).</summary>
    public InstanceBackups Backups { get; init; } = InstanceBackups.None;

    /// <summary>The deployment engine's deploy of the operation in progress (plan and completed steps), for resuming it.</summary>
    public DeploymentProgress? Deployment { get; init; }

    /// <summary>The VM the deployment engine last started the instance's server on; null: the one it was provisioned on.</summary>
    public string? Vm { get; init; }

    /// <summary>VMs of the instance's deployment no deploy uses any more, waiting for their host's sweeper.</summary>
    public ImmutableList<OrphanedVm> OrphanedVms { get; init; } = [];

    /// <summary>The streaming replicas of its primary server that run, by index (<see cref="ReplicaAdded"/>).</summary>
    public ImmutableList<ReplicaInfo> Replicas { get; init; } = [];

    /// <summary>The cluster a <see cref="InstanceShape.ClusterDatabase"/> lives in.</summary>
    public Guid? ClusterId { get; init; }

    /// <summary>
    /// The worker host the instance's resources live on (chosen with the provisioning request, else the host that made
    /// its storage); a database in a cluster lives on its cluster's. Null: made before hosts, or nothing made yet.
    /// </summary>
    public string? Host { get; init; }

    /// <summary>A cluster's attached children, in the order they attached; kept across the cluster's lives.</summary>
    public ImmutableList<ClusterChild> Children { get; init; } = [];
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }

    public const string StreamPrefix = "service-instance-";

    /// <summary>The one instance of an instance's deployment (its server), as the deployment engine names it.</summary>
    public const string DeploymentInstance = "postgres/0";

    public static string StreamId(Guid instanceId) => $"{StreamPrefix}{instanceId}";

    [JsonIgnore]
    public Operation? LastOperation => Operations.IsEmpty ? null : Operations[^1];

    [JsonIgnore]
    public bool Exists => Status is not (InstanceStatus.None or InstanceStatus.Deprovisioned);

    /// <summary>An instance operation (provision, update, deprovision) is running.</summary>
    [JsonIgnore]
    public bool Busy => LastOperation is { InProgress: true };

    /// <summary>
    /// Whether what a step of the operation makes is no longer wanted: the operation failed (or was cancelled), or it is
    /// the provisioning being rolled back. Made anyway (late), it is an orphan to remove.
    /// </summary>
    public bool NoLongerWants(Guid operationId) =>
        Operations.FindLast(op => op.Id == operationId) is { } operation
        && (operation.State == OperationState.Failed || (RollingBack && LastOperation == operation));

    public static ServiceInstance Fold(IEnumerable<IDomainEvent> events) => events.Aggregate(Initial, Evolve);

    public static ServiceInstance Evolve(ServiceInstance state, IDomainEvent @event) => @event switch
    {
        ServiceInstanceProvisioningRequested e => Initial with
        {
            Orphans = state.Orphans, OrphanedVms = state.OrphanedVms, Children = state.Children, Shape = e.Shape, ClusterId = e.ClusterId, Host = e.Host,
            RestoreFromSnapshot = e.RestoreFromSnapshot,
            Id = e.InstanceId, Status = InstanceStatus.Provisioning, ServiceId = e.ServiceId, PlanId = e.PlanId,
            OrganizationGuid = e.OrganizationGuid, SpaceGuid = e.SpaceGuid, Parameters = e.Parameters, Context = e.Context,
            MaintenanceVersion = e.MaintenanceVersion, DiskMb = e.DiskMb, CreatedAt = e.RequestedAt, UpdatedAt = e.RequestedAt,
            Operations = state.Operations.Add(Started(e.OperationId, OperationKind.Provision,
                e.RestoreFromSnapshot is { } snapshot ? $"Import of snapshot {snapshot} requested" : "Provisioning requested", e.RequestedAt, e.DeadlineAt)),
        },
        StorageProvisioned e => state.Progress(e.OperationId, "Storage provisioned", e.ProvisionedAt) with
            { Storage = new StorageInfo(e.DataDirectory, e.DiskMb), Host = state.Host ?? e.Host },
        ServerProvisioned e => state.Progress(e.OperationId, "Server started", e.ProvisionedAt) with
            { Server = new ServerInfo(e.Host, e.Port) },
        DatabaseProvisioned e => state.Progress(e.OperationId,
                state.RestoreFromSnapshot is { } restored ? $"Database created and restored from snapshot {restored}" : "Database created", e.ProvisionedAt) with
            { Database = new DatabaseInfo(e.Database, e.AdminUsername, e.EncryptedAdminPassword) },
        ResourceProvisioningFailed e => state.Progress(e.OperationId, $"{e.Resource} provisioning failed, cleaning up: {e.Reason}", e.FailedAt)
            with { RollingBack = true },
        ServiceInstanceOperationTimedOut e => state.Replace(e.OperationId, op => op with { Description = "Timed out", TimedOut = true }, e.TimedOutAt)
            with { RollingBack = state.Status == InstanceStatus.Provisioning },
        ServiceInstanceProvisioned e => state.Finish(e.OperationId, OperationState.Succeeded,
                state.RestoreFromSnapshot is { } imported ? $"Imported from snapshot {imported}" : "Provisioned", e.ProvisionedAt) with
            { Status = InstanceStatus.Provisioned, Vm = state.Deployment?.StartedVm(DeploymentInstance) ?? state.Vm, Deployment = null },
        ServiceInstanceProvisioningFailed e => state.Finish(e.OperationId, OperationState.Failed, e.Reason, e.FailedAt) with
            { Status = InstanceStatus.ProvisioningFailed, Deployment = null },
        ServiceInstanceProvisioningCancelled e => state.Finish(e.OperationId, OperationState.Failed, "Cancelled by a deprovision request", e.CancelledAt)
            with { Deployment = null },
        ServiceInstanceUpdateRequested e => state with
        {
            Pending = new PendingUpdate(e.PlanId, e.Parameters, e.MaintenanceVersion, e.DiskMb, Recreate: e.Recreate), UpdatedAt = e.RequestedAt,
            Operations = state.Operations.Add(Started(e.OperationId, OperationKind.Update, "Update requested", e.RequestedAt, e.DeadlineAt)),
        },
        ServerReconfigured e => state.Progress(e.OperationId, "Server reconfigured", e.ReconfiguredAt) with
            { Pending = state.Pending is { } pending ? pending with { Applied = true } : null },
        ResourceUpdateFailed e => state.Replace(e.OperationId,
            op => op with { Description = $"{e.Resource} update failed: {e.Reason}", InstanceUsable = e.InstanceUsable }, e.FailedAt),
        DeploymentPlanned e => state.Progress(e.OperationId, DeploymentProgress.Planned(e.Actions), e.PlannedAt) with
            { Deployment = new DeploymentProgress(e.OperationId, e.Plan, [], e.Actions) },
        DeploymentStepCompleted e when state.Deployment?.OperationId == e.OperationId => state.Progress(e.OperationId,
                state.Deployment.Describe(e.Instance, e.Step, state.Status == InstanceStatus.Provisioning ? "Creating" : "Updating"), e.CompletedAt) with
            { Deployment = state.Deployment with { Steps = state.Deployment.Steps.Add(new DeploymentStep(e.Instance, e.Step, e.Vm, e.Seconds)) } },
        ServiceInstanceUpdated e => state.Finish(e.OperationId, OperationState.Succeeded, "Updated", e.UpdatedAt) with
        {
            Vm = state.Deployment?.StartedVm(DeploymentInstance) ?? state.Vm, Deployment = null,
            PlanId = state.Pending?.PlanId ?? state.PlanId, Parameters = state.Pending is { } p ? p.Parameters : state.Parameters,
            MaintenanceVersion = state.Pending?.MaintenanceVersion ?? state.MaintenanceVersion,
            DiskMb = state.Pending?.DiskMb ?? state.DiskMb, Pending = null,
        },
        ServiceInstanceUpdateFailed e => state.Finish(e.OperationId, OperationState.Failed, e.Reason, e.FailedAt) with
            { Pending = null, Vm = state.Deployment?.StartedVm(DeploymentInstance) ?? state.Vm, Deployment = null },
        ServiceInstanceContextUpdated e => state with { Context = e.Context, UpdatedAt = e.UpdatedAt },
        // The server runs again where it ran: nothing about the instance changes.
        ServerResurrected => state,
        ServiceInstanceDeprovisioningRequested e => state with
        {
            RollingBack = false, Status = InstanceStatus.Deprovisioning, UpdatedAt = e.RequestedAt,
            Operations = state.Operations.Add(Started(e.OperationId, OperationKind.Deprovision, "Deprovisioning requested", e.RequestedAt, e.DeadlineAt)),
        },
        DatabaseDeprovisioned e => state.Progress(e.OperationId, "Database dropped", e.DeprovisionedAt) with { Database = null },
        ServerDeprovisioned e => state.Progress(e.OperationId, "Server stopped", e.DeprovisionedAt) with { Server = null, Replicas = [] },
        StorageDeprovisioned e => state.Progress(e.OperationId, "Storage removed", e.DeprovisionedAt) with { Storage = null },
        ResourceDeprovisioningFailed e => state.Progress(e.OperationId, $"{e.Resource} deprovisioning failed: {e.Reason}", e.FailedAt),
        // Its VMs went with the instance's folder: no orphan is left to sweep.
        ServiceInstanceDeprovisioned e => state.Finish(e.OperationId, OperationState.Succeeded, "Deprovisioned", e.DeprovisionedAt) with
            { Status = InstanceStatus.Deprovisioned, OrphanedVms = [], Replicas = [] },
        ServiceInstanceDeprovisioningFailed e => state.Finish(e.OperationId, OperationState.Failed, e.Reason, e.FailedAt) with
            { Status = InstanceStatus.DeprovisioningFailed },
        SnapshotExportRequested e => state with
        {
            UpdatedAt = e.RequestedAt,
            Operations = state.Operations.Add(Started(e.OperationId, OperationKind.Export, $"Export of snapshot {e.SnapshotId} requested", e.RequestedAt, e.DeadlineAt)),
        },
        SnapshotExported e => state.Finish(e.OperationId, OperationState.Succeeded, $"Exported snapshot {e.SnapshotId}", e.ExportedAt) with
            { LastSnapshot = e.SnapshotId },
        SnapshotExportFailed e => state.Finish(e.OperationId, OperationState.Failed, e.Reason, e.FailedAt),
        BackupScheduleSet e => state with
            { Backups = state.Backups with { Enabled = true, Schedule = e.Schedule, Retain = e.Retain, SetAt = e.SetAt }, UpdatedAt = e.SetAt },
        BackupScheduleCleared e => state with { Backups = state.Backups with { Enabled = false, Retain = e.Retain }, UpdatedAt = e.ClearedAt },
        BackupStarted e => state with
        {
            UpdatedAt = e.StartedAt,
            Backups = e.ScheduledFor is { } slot && !(state.Backups.LastSlot >= slot) ? state.Backups with { LastSlot = slot } : state.Backups,
            Operations = state.Operations.Add(Started(e.OperationId, OperationKind.Backup,
                e.ScheduledFor is { } at ? $"Backup {e.BackupId} (scheduled for {at:u}) started" : $"Backup {e.BackupId} started", e.StartedAt, e.DeadlineAt)),
        },
        BackupCompleted e => state.Finish(e.OperationId, OperationState.Succeeded, $"Backed up {e.BackupId}", e.CompletedAt) with
        {
            Backups = state.Backups with
            {
                Kept = state.Backups.Kept.Add(new KeptBackup(e.BackupId, e.OperationId, e.Path, e.SizeBytes, e.Sha256, e.CompletedAt)),
            },
        },
        BackupFailed e => state.Finish(e.OperationId, OperationState.Failed, e.Reason, e.FailedAt),
        BackupRemoved e => state with { Backups = state.Backups with { Kept = state.Backups.Kept.RemoveAll(b => b.BackupId == e.BackupId) } },
        BackupRestoreRequested e => state with
        {
            UpdatedAt = e.RequestedAt,
            Operations = state.Operations.Add(Started(e.OperationId, OperationKind.Restore, $"Restore of backup {e.BackupId} requested", e.RequestedAt, e.DeadlineAt)),
        },
        BackupRestored e => state.Finish(e.OperationId, OperationState.Succeeded, $"Restored backup {e.BackupId}", e.RestoredAt),
        BackupRestoreFailed e => state.Finish(e.OperationId, OperationState.Failed, e.Reason, e.FailedAt),
        ChildInstanceAttached e => state with
        {
            Children = state.Children.RemoveAll(c => c.ChildId == e.ChildId)
                .Add(new ClusterChild(e.ChildId, e.ProvisionOperationId, e.OrganizationGuid, e.SpaceGuid)),
        },
        ChildInstanceDetached e => state with
            { Children = state.Children.RemoveAll(c => c.ChildId == e.ChildId && c.ProvisionOperationId == e.ProvisionOperationId) },
        ReplicaAdded e => state with
            { Replicas = state.Replicas.RemoveAll(r => r.Index == e.Index).Add(new ReplicaInfo(e.Index, e.Host, e.Port, e.Vm, e.WorkerHost)).Sort((a, b) => a.Index.CompareTo(b.Index)) },
        ReplicaRemoved e => state with { Replicas = state.Replicas.RemoveAll(r => r.Index == e.Index) },
        ReplicaResurrected => state,
        VmOrphaned e => state with { OrphanedVms = state.OrphanedVms.Add(new OrphanedVm(e.Vm, e.Host, e.OperationId, e.OrphanedAt)) },
        VmDeleted e => state with { OrphanedVms = state.OrphanedVms.RemoveAll(o => o.Vm == e.Vm) },
        OrphanedResourceFound e => state with { Orphans = state.Orphans.Add(new Orphan(e.OperationId, e.Resource)) },
        OrphanedResourceRemoved e => state with { Orphans = state.Orphans.Remove(new Orphan(e.OperationId, e.Resource)) },
        _ => state,
    };

    /// <summary>The instance whose server this instance's database lives on: its cluster, else itself.</summary>
    [JsonIgnore]
    public Guid ServerOwnerId => ClusterId ?? Id;

    /// <summary>The organizations and spaces besides its own that may create databases in this cluster.</summary>
    [JsonIgnore]
    public IReadOnlyList<ClusterShare> Shares => Shape == InstanceShape.Cluster ? ClusterShare.In(Parameters) : [];

    /// <summary>
    /// The provisioning that began the life <paramref name="operationId"/> belongs to: that operation itself, or the latest
    /// provisioning before it. Null when the instance had no such operation.
    /// </summary>
    public Guid? ProvisioningOf(Guid operationId)
    {
        var index = Operations.FindLastIndex(op => op.Id == operationId);
        return index < 0 ? null : Operations.Take(index + 1).LastOrDefault(op => op.Kind == OperationKind.Provision)?.Id;
    }

    /// <summary>Whether the instance's current life recorded a resource of this kind as its own.</summary>
    public bool Holds(ResourceKind resource) => resource switch
    {
        ResourceKind.Storage => Storage is not null,
        ResourceKind.Server => Server is not null,
        _ => Database is not null,
    };

    private static Operation Started(Guid id, OperationKind kind, string description, DateTimeOffset at, DateTimeOffset? deadline) =>
        new(id, kind, OperationState.InProgress, description, at, DeadlineAt: deadline);

    private ServiceInstance Progress(Guid operationId, string description, DateTimeOffset at) =>
        Replace(operationId, op => op with { Description = description }, at);

    private ServiceInstance Finish(Guid operationId, OperationState outcome, string description, DateTimeOffset at) =>
        Replace(operationId, op => op with { State = outcome, Description = description, FinishedAt = at }, at);

    private ServiceInstance Replace(Guid operationId, Func<Operation, Operation> change, DateTimeOffset at)
    {
        var index = Operations.FindLastIndex(op => op.Id == operationId);
        return index < 0 ? this : this with { Operations = Operations.SetItem(index, change(Operations[index])), UpdatedAt = at };
    }
}
