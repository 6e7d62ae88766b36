using System.Collections.Immutable;
using EventSourced.Commands.EventStore;

namespace EventSourced.Commands.ServiceInstances;

public enum InstanceStatus { None, Provisioning, Provisioned, ProvisioningFailed, Deprovisioning, Deprovisioned, DeprovisioningFailed }

public enum OperationKind { Provision, Deprovision }

/// <summary>The OSB last-operation states, spelled as the spec spells them in <see cref="OperationStates"/>.</summary>
public enum OperationState { InProgress, Succeeded, Failed }

public sealed record Operation(
    Guid Id, OperationKind Kind, OperationState State, string Description, DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt = null, bool TimedOut = false);

public sealed record StorageInfo(string DataDirectory, int DiskMb);

public sealed record ServerInfo(string Host, int Port);

public sealed record DatabaseInfo(string Database, string AdminUsername, string EncryptedAdminPassword);

/// <summary>The life of one service instance, folded from its stream <c>service-instance-{id}</c>.</summary>
public sealed record ServiceInstance(
    Guid Id,
    InstanceStatus Status,
    string ServiceId,
    string PlanId,
    string OrganizationGuid,
    string SpaceGuid,
    string? Parameters,
    string? Context,
    int DiskMb,
    ImmutableList<Operation> Operations,
    bool RollingBack,
    StorageInfo? Storage,
    ServerInfo? Server,
    DatabaseInfo? Database,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? UpdatedAt)
{
    public static readonly ServiceInstance Initial =
        new(Guid.Empty, InstanceStatus.None, "", "", "", "", null, null, 0, [], false, null, null, null, null, null);

    public static string StreamId(Guid instanceId) => $"service-instance-{instanceId}";

    public Operation? LastOperation => Operations.IsEmpty ? null : Operations[^1];

    public bool Exists => Status is not (InstanceStatus.None or InstanceStatus.Deprovisioned);

    public static ServiceInstance Fold(IEnumerable<IDomainEvent> events) => events.Aggregate(Initial, Evolve);

    public static ServiceInstance Evolve(ServiceInstance state, IDomainEvent @event) => @event switch
    {
        ServiceInstanceProvisioningRequested e => Initial with
        {
            Id = e.InstanceId, Status = InstanceStatus.Provisioning, RollingBack = false, ServiceId = e.ServiceId, PlanId = e.PlanId,
            OrganizationGuid = e.OrganizationGuid, SpaceGuid = e.SpaceGuid, Parameters = e.Parameters, Context = e.Context,
            DiskMb = e.DiskMb, CreatedAt = e.RequestedAt, UpdatedAt = e.RequestedAt,
            Operations = state.Operations.Add(new Operation(e.OperationId, OperationKind.Provision, OperationState.InProgress,
                "Provisioning requested", e.RequestedAt)),
        },
        StorageProvisioned e => state.Progress(e.OperationId, "Storage provisioned", e.ProvisionedAt) with
            { Storage = new StorageInfo(e.DataDirectory, e.DiskMb) },
        ServerProvisioned e => state.Progress(e.OperationId, "Server started", e.ProvisionedAt) with
            { Server = new ServerInfo(e.Host, e.Port) },
        DatabaseProvisioned e => state.Progress(e.OperationId, "Database created", e.ProvisionedAt) with
            { Database = new DatabaseInfo(e.Database, e.AdminUsername, e.EncryptedAdminPassword) },
        ResourceProvisioningFailed e => state.Progress(e.OperationId, $"{e.Resource} provisioning failed, cleaning up: {e.Reason}", e.FailedAt)
            with { RollingBack = true },
        ServiceInstanceOperationTimedOut e => state.Replace(e.OperationId, op => op with { Description = "Timed out", TimedOut = true }, e.TimedOutAt)
            with { RollingBack = state.Status == InstanceStatus.Provisioning },
        ServiceInstanceProvisioned e => state.Finish(e.OperationId, OperationState.Succeeded, "Provisioned", e.ProvisionedAt) with
            { Status = InstanceStatus.Provisioned },
        ServiceInstanceProvisioningFailed e => state.Finish(e.OperationId, OperationState.Failed, e.Reason, e.FailedAt) with
            { Status = InstanceStatus.ProvisioningFailed },
        ServiceInstanceDeprovisioningRequested e => state with
        {
            RollingBack = false,
            Status = InstanceStatus.Deprovisioning, UpdatedAt = e.RequestedAt,
            Operations = state.Operations.Add(new Operation(e.OperationId, OperationKind.Deprovision, OperationState.InProgress,
                "Deprovisioning requested", e.RequestedAt)),
        },
        DatabaseDeprovisioned e => state.Progress(e.OperationId, "Database dropped", e.DeprovisionedAt) with { Database = null },
        ServerDeprovisioned e => state.Progress(e.OperationId, "Server stopped", e.DeprovisionedAt) with { Server = null },
        StorageDeprovisioned e => state.Progress(e.OperationId, "Storage removed", e.DeprovisionedAt) with { Storage = null },
        ResourceDeprovisioningFailed e => state.Progress(e.OperationId, $"{e.Resource} deprovisioning failed: {e.Reason}", e.FailedAt),
        ServiceInstanceDeprovisioned e => state.Finish(e.OperationId, OperationState.Succeeded, "Deprovisioned", e.DeprovisionedAt) with
            { Status = InstanceStatus.Deprovisioned },
        ServiceInstanceDeprovisioningFailed e => state.Finish(e.OperationId, OperationState.Failed, e.Reason, e.FailedAt) with
            { Status = InstanceStatus.DeprovisioningFailed },
        _ => state,
    };

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
