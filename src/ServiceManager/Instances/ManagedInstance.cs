using System.Text.Json.Nodes;
using EventSourced.Commands.EventStore;
using EventSourced.ServiceManager.Resources;
using Marten;

namespace EventSourced.ServiceManager.Instances;

/// <summary>
/// An instance made through the manager, as its stream has it: which broker, plan and platform, the OSB context, its
/// operations, whether it is shared, or (a reference instance) which shared instance it refers to. It is shown from the
/// moment it is requested until it is deprovisioned, a creation the broker refused, or a failed creation's leftovers
/// confirmed gone (orphan mitigation).
/// </summary>
public sealed record ManagedInstance(
    string Id, bool Exists, string BrokerId, string ServicePlanId, string ServiceCatalogId, string PlanCatalogId, string PlatformId, string Context,
    string? Parameters, string? ReferencedInstanceId, bool Shared, bool Ready, bool Usable, string? DashboardUrl, Dictionary<string, string[]> Labels,
    IReadOnlyList<Operation> Operations, InstanceUpdateRequested? PendingUpdate, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    : IStreamKind<ManagedInstance>
{
    public static string StreamKey(string id) => $"sm-instance-{id}";

    public static readonly ManagedInstance None = new("", false, "", "", "", "", "", "{}", null, null, false, false, false, null,
        Resources.Labels.Empty(), [], null, default, default);

    public Operation? LastOperation => Operations.Count == 0 ? null : Operations[^1];
    public bool OrphanMitigationPending => LastOperation is { OrphanMitigationPending: true };
    public bool IsReference => ReferencedInstanceId is not null;

    public static ManagedInstance Fold(IEnumerable<IDomainEvent> events) => events.Aggregate(None, Evolve);

    private static ManagedInstance Evolve(ManagedInstance state, IDomainEvent e) => e switch
    {
        InstanceProvisionRequested r => new ManagedInstance(r.Id, true, r.BrokerId, r.ServicePlanId, r.ServiceCatalogId, r.PlanCatalogId, r.PlatformId,
            r.Context, r.Parameters, r.ReferencedInstanceId, false, false, false, null, Resources.Labels.Empty(),
            [.. state.Operations, new Operation(r.OperationId, "create", Operation.InProgress, null, "Provisioning", r.Deadline, r.At, r.At)],
            null, r.At, r.At),
        InstanceUpdateRequested u => state with
        {
            Operations = [.. state.Operations, new Operation(u.OperationId, "update", Operation.InProgress, null, "Updating", u.Deadline, u.At, u.At)],
            PendingUpdate = u, UpdatedAt = u.At,
        },
        InstanceDeprovisionRequested d => state with
        {
            // A creation or update still running is given up: the deprovisioning cancels it at the broker.
            Operations = [.. state.Operations.Select(o => o.Running ? o with { State = Operation.Failed, Description = "cancelled by the deprovisioning", UpdatedAt = d.At } : o),
                new Operation(d.OperationId, "delete", Operation.InProgress, null, "Deprovisioning", d.Deadline, d.At, d.At)],
            UpdatedAt = d.At,
        },
        BrokerAcceptedOperation a => state.WithOperation(a.OperationId, o => o with { BrokerOperation = a.BrokerOperation, Accepted = true, UpdatedAt = a.At }),
        OperationSucceeded s => Succeeded(state, s),
        OperationFailed f => Failed(state, f),
        OrphanMitigated m => state with
        {
            Exists = false, Ready = false,
            Operations = state.Operations.Select(o => o.OrphanMitigationPending
                ? o with { OrphanMitigationPending = false, Mitigation = "orphan mitigation: deleted at the broker", UpdatedAt = m.At }
                : o).ToList(),
            UpdatedAt = m.At,
        },
        OrphanMitigationAttemptFailed a => state.WithOperation(state.LastOperation!.Id, o => o with { Mitigation = $"orphan mitigation retrying: {a.Description}", UpdatedAt = a.At }),
        InstanceShared s => state with { Shared = true, UpdatedAt = s.At },
        InstanceUnshared u => state with { Shared = false, UpdatedAt = u.At },
        InstanceLabelsChanged l => state with { Labels = l.Labels, UpdatedAt = l.At },
        _ => state,
    };

    private static ManagedInstance Succeeded(ManagedInstance state, OperationSucceeded s)
    {
        var operation = state.Operations.FirstOrDefault(o => o.Id == s.OperationId);
        var done = state.WithOperation(s.OperationId, o => o with { State = Operation.Succeeded, Description = null, UpdatedAt = s.At });
        return operation?.Type switch
        {
            "create" => done with { Ready = true, Usable = true, DashboardUrl = s.DashboardUrl ?? state.DashboardUrl, UpdatedAt = s.At },
            "update" when state.PendingUpdate is { } u => done with
            {
                ServicePlanId = u.ServicePlanId, PlanCatalogId = u.PlanCatalogId, Context = u.Context, Parameters = u.Parameters ?? state.Parameters,
                PendingUpdate = null, DashboardUrl = s.DashboardUrl ?? state.DashboardUrl, UpdatedAt = s.At,
            },
            "delete" => done with { Exists = false, Ready = false, Shared = false, UpdatedAt = s.At },
            _ => done,
        };
    }

    private static ManagedInstance Failed(ManagedInstance state, OperationFailed f)
    {
        var operation = state.Operations.FirstOrDefault(o => o.Id == f.OperationId);
        var done = state.WithOperation(f.OperationId, o => o with
        {
            State = Operation.Failed, Description = f.Description, OrphanMitigationPending = f.OrphanMitigation, UpdatedAt = f.At,
        });
        return operation?.Type switch
        {
            // A creation the broker refused left nothing: the id is free again. One that may have left something stays
            // visible (failed, orphan mitigation pending) until the broker confirms it gone.
            "create" => done with { Exists = f.OrphanMitigation, Ready = false, Usable = false, UpdatedAt = f.At },
            "update" => done with { PendingUpdate = null, UpdatedAt = f.At },
            _ => done with { UpdatedAt = f.At },
        };
    }

    private ManagedInstance WithOperation(string operationId, Func<Operation, Operation> change) =>
        this with { Operations = Operations.Select(o => o.Id == operationId ? change(o) : o).ToList() };

    public static void Project(ManagedInstance state, IDocumentSession session)
    {
        foreach (var operation in state.Operations)
            session.Store(new ResourceView
            {
                Id = ResourceView.Key(ResourceTypes.Operations, operation.Id), Type = ResourceTypes.Operations, ResourceId = operation.Id,
                InstanceId = state.Id, PlatformId = state.PlatformId, CreatedAt = operation.CreatedAt,
                Json = operation.ToJson(ResourceTypes.Instances, state.Id, state.PlatformId, state.UpdatedAt).ToJsonString(),
            });
        if (!state.Exists)
        {
            session.Delete<ResourceView>(ResourceView.Key(ResourceTypes.Instances, state.Id));
            return;
        }
        session.Store(new ResourceView
        {
            Id = ResourceView.Key(ResourceTypes.Instances, state.Id), Type = ResourceTypes.Instances, ResourceId = state.Id, BrokerId = state.BrokerId,
            PlatformId = state.PlatformId, ServicePlanId = state.ServicePlanId, InstanceId = state.ReferencedInstanceId, CreatedAt = state.CreatedAt,
            Json = state.ToJson().ToJsonString(),
        });
    }

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["name"] = JsonNode.Parse(Context)?["instance_name"]?.DeepClone() ?? Id,
        ["service_plan_id"] = ServicePlanId,
        ["platform_id"] = PlatformId,
        ["broker_id"] = BrokerId,
        ["context"] = JsonNode.Parse(Context),
        ["dashboard_url"] = DashboardUrl,
        ["shared"] = Shared,
        ["referenced_instance_id"] = ReferencedInstanceId,
        ["state"] = LastOperation is { } last ? $"{last.Type} {last.State}" : null,
        ["last_operation"] = LastOperation?.ToJson(ResourceTypes.Instances, Id, PlatformId, UpdatedAt),
        ["usable"] = Usable,
        ["ready"] = Ready,
        ["labels"] = Resources.Labels.ToJson(Labels),
        ["created_at"] = Listing.Time(CreatedAt),
        ["updated_at"] = Listing.Time(UpdatedAt),
    };
}
