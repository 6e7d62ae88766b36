using System.Text.Json.Nodes;
using EventSourced.Commands.EventStore;
using EventSourced.ServiceManager.Resources;
using Marten;

namespace EventSourced.ServiceManager.Instances;

/// <summary>
/// A binding made through the manager: its instance (a reference instance's binding binds the shared instance, its
/// <see cref="TargetInstanceId"/>, at the broker), platform, context and operations. Its credentials are never stored:
/// the broker hands them to the platform through the proxy, and fetching the binding asks the broker again.
/// </summary>
public sealed record ManagedBinding(
    string Id, bool Exists, string InstanceId, string TargetInstanceId, string BrokerId, string ServicePlanId, string PlanCatalogId, string ServiceCatalogId,
    string PlatformId, string Context, string? Parameters, bool Ready, IReadOnlyList<Operation> Operations, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    : IStreamKind<ManagedBinding>
{
    public static string StreamKey(string id) => $"sm-binding-{id}";

    public static readonly ManagedBinding None = new("", false, "", "", "", "", "", "", "", "{}", null, false, [], default, default);

    public Operation? LastOperation => Operations.Count == 0 ? null : Operations[^1];

    public static ManagedBinding Fold(IEnumerable<IDomainEvent> events) => events.Aggregate(None, Evolve);

    private static ManagedBinding Evolve(ManagedBinding state, IDomainEvent e) => e switch
    {
        BindingRequested r => new ManagedBinding(r.Id, true, r.InstanceId, r.TargetInstanceId, r.BrokerId, r.ServicePlanId, r.PlanCatalogId,
            r.ServiceCatalogId, r.PlatformId, r.Context, r.Parameters, false,
            [.. state.Operations, new Operation(r.OperationId, "create", Operation.InProgress, null, "Binding", r.Deadline, r.At, r.At)], r.At, r.At),
        UnbindRequested u => state with
        {
            Operations = [.. state.Operations, new Operation(u.OperationId, "delete", Operation.InProgress, null, "Unbinding", u.Deadline, u.At, u.At)],
            UpdatedAt = u.At,
        },
        BrokerAcceptedOperation a => state.WithOperation(a.OperationId, o => o with { BrokerOperation = a.BrokerOperation, Accepted = true, UpdatedAt = a.At }),
        OperationSucceeded s => state.Operations.FirstOrDefault(o => o.Id == s.OperationId)?.Type == "delete"
            ? state.WithOperation(s.OperationId, o => o with { State = Operation.Succeeded, Description = null, UpdatedAt = s.At }) with { Exists = false, UpdatedAt = s.At }
            : state.WithOperation(s.OperationId, o => o with { State = Operation.Succeeded, Description = null, UpdatedAt = s.At }) with { Ready = true, UpdatedAt = s.At },
        OperationFailed f => state.WithOperation(f.OperationId, o => o with
        {
            State = Operation.Failed, Description = f.Description, OrphanMitigationPending = f.OrphanMitigation, UpdatedAt = f.At,
        }) with
        {
            Exists = state.Operations.FirstOrDefault(o => o.Id == f.OperationId)?.Type != "create" || f.OrphanMitigation,
            UpdatedAt = f.At,
        },
        OrphanMitigated m => state with
        {
            Exists = false,
            Operations = state.Operations.Select(o => o.OrphanMitigationPending
                ? o with { OrphanMitigationPending = false, Mitigation = "orphan mitigation: unbound at the broker", UpdatedAt = m.At }
                : o).ToList(),
            UpdatedAt = m.At,
        },
        OrphanMitigationAttemptFailed a => state.WithOperation(state.LastOperation!.Id, o => o with { Mitigation = $"orphan mitigation retrying: {a.Description}", UpdatedAt = a.At }),
        _ => state,
    };

    private ManagedBinding WithOperation(string operationId, Func<Operation, Operation> change) =>
        this with { Operations = Operations.Select(o => o.Id == operationId ? change(o) : o).ToList() };

    public static void Project(ManagedBinding state, IDocumentSession session)
    {
        foreach (var operation in state.Operations)
            session.Store(new ResourceView
            {
                Id = ResourceView.Key(ResourceTypes.Operations, operation.Id), Type = ResourceTypes.Operations, ResourceId = operation.Id,
                InstanceId = state.InstanceId, PlatformId = state.PlatformId, CreatedAt = operation.CreatedAt,
                Json = operation.ToJson(ResourceTypes.Bindings, state.Id, state.PlatformId, state.UpdatedAt).ToJsonString(),
            });
        if (!state.Exists)
        {
            session.Delete<ResourceView>(ResourceView.Key(ResourceTypes.Bindings, state.Id));
            return;
        }
        session.Store(new ResourceView
        {
            Id = ResourceView.Key(ResourceTypes.Bindings, state.Id), Type = ResourceTypes.Bindings, ResourceId = state.Id, BrokerId = state.BrokerId,
            PlatformId = state.PlatformId, InstanceId = state.InstanceId, CreatedAt = state.CreatedAt, Json = state.ToJson().ToJsonString(),
        });
    }

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["name"] = JsonNode.Parse(Context)?["binding_name"]?.DeepClone() ?? Id,
        ["service_instance_id"] = InstanceId,
        ["bound_instance_id"] = TargetInstanceId,
        ["platform_id"] = PlatformId,
        ["broker_id"] = BrokerId,
        ["context"] = JsonNode.Parse(Context),
        ["state"] = LastOperation is { } last ? $"{last.Type} {last.State}" : null,
        ["last_operation"] = LastOperation?.ToJson(ResourceTypes.Bindings, Id, PlatformId, UpdatedAt),
        ["ready"] = Ready,
        ["labels"] = new JsonObject(),
        ["created_at"] = Listing.Time(CreatedAt),
        ["updated_at"] = Listing.Time(UpdatedAt),
    };
}
