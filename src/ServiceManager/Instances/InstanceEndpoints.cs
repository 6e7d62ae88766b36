using System.Text.Json.Nodes;
using EventSourced.Commands.ServiceInstances;
using EventSourced.ServiceManager.Brokers;
using EventSourced.ServiceManager.Hosting;
using EventSourced.ServiceManager.Osb;
using EventSourced.ServiceManager.Resources;
using Marten;

namespace EventSourced.ServiceManager.Instances;

/// <summary>
/// <c>/v1/service_instances</c>, <c>/v1/service_bindings</c> and <c>/v1/operations</c> for operators: every instance and
/// binding made through the proxy with its platform, context and state; labels; sharing
/// (<c>PATCH {"shared": true}</c>, only for a ready instance of a shareable plan; unsharing is refused while reference
/// instances exist); operations, stuck ones included (<c>fieldQuery=stuck eq true</c>).
/// </summary>
public static class InstanceEndpoints
{
    public static RouteGroupBuilder MapInstances(this RouteGroupBuilder v1)
    {
        v1.MapGet($"/{ResourceTypes.Instances}", (HttpContext http, IDocumentStore store) => Listing.List(http, store, ResourceTypes.Instances));
        v1.MapGet($"/{ResourceTypes.Instances}/{{id}}", (string id, IDocumentStore store, CancellationToken ct) => Listing.Get(store, ResourceTypes.Instances, id, ct));
        v1.MapPatch($"/{ResourceTypes.Instances}/{{id}}", Patch);
        v1.MapGet($"/{ResourceTypes.Instances}/{{id}}/operations/{{operationId}}", (string id, string operationId, IDocumentStore store, CancellationToken ct) =>
            Operation(store, id, operationId, ct));
        v1.MapGet($"/{ResourceTypes.Bindings}", (HttpContext http, IDocumentStore store) => Listing.List(http, store, ResourceTypes.Bindings));
        v1.MapGet($"/{ResourceTypes.Bindings}/{{id}}", (string id, IDocumentStore store, CancellationToken ct) => Listing.Get(store, ResourceTypes.Bindings, id, ct));
        v1.MapGet($"/{ResourceTypes.Bindings}/{{id}}/operations/{{operationId}}", (string id, string operationId, IDocumentStore store, CancellationToken ct) =>
            Operation(store, id, operationId, ct));
        v1.MapGet($"/{ResourceTypes.Operations}", (HttpContext http, IDocumentStore store) => Listing.List(http, store, ResourceTypes.Operations));
        return v1;
    }

    private static async Task<IResult> Operation(IDocumentStore store, string resourceId, string operationId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var view = await session.LoadAsync<ResourceView>(ResourceView.Key(ResourceTypes.Operations, operationId), ct);
        return view is not null && JsonNode.Parse(view.Json)?["resource_id"]?.GetValue<string>() == resourceId
            ? Results.Content(view.Json, "application/json")
            : ApiErrors.NotFound($"operation '{operationId}' of '{resourceId}' not found");
    }

    private static async Task<IResult> Patch(string id, HttpRequest request, ManagerStreams streams, TimeProvider clock)
    {
        var (body, error) = await RequestBody.Read(request, allowEmpty: true);
        if (body is null) return ApiErrors.BadRequest(error!);
        var (shared, sharedError) = RequestBody.Boolean(body, "shared");
        var (_, labelsError) = Labels.Apply(Labels.Empty(), body["labels"]);
        if ((sharedError ?? labelsError) is { } invalid) return ApiErrors.BadRequest(invalid);
        var unsupported = body.Select(p => p.Key).Except(["shared", "labels"]).ToList();
        if (unsupported.Count > 0)
            return ApiErrors.BadRequest($"only shared and labels can be changed here ({string.Join(", ", unsupported)}): other changes go through the platform's OSB update");
        var decision = await streams.Handle<ManagedInstance, ManagedInstance>(ManagedInstance.StreamKey(id), async (state, session, ct) =>
        {
            if (!state.Exists) return Decision.Reject(DomainErrorCode.NotFound, $"service instance '{id}' not found");
            var events = new List<EventSourced.Commands.EventStore.IDomainEvent>();
            var now = clock.GetUtcNow();
            if (shared == true && !state.Shared)
            {
                if (state.IsReference) return Decision.Reject(DomainErrorCode.Invalid, "a reference instance cannot be shared");
                if (!state.Ready || state.LastOperation is { Running: true })
                    return Decision.Reject(DomainErrorCode.ConcurrencyError, $"service instance '{id}' is not ready or has an operation in progress");
                var plan = await session.LoadAsync<ResourceView>(ResourceView.Key(ResourceTypes.Plans, state.ServicePlanId), ct);
                if (plan is null || !Shareable(plan))
                    return Decision.Reject(DomainErrorCode.Invalid, $"the plan of service instance '{id}' is not shareable (metadata.shareable)");
                events.Add(new InstanceShared(now));
            }
            else if (shared == false && state.Shared)
            {
                await Locks.Exclusive(session, OsbReferences.InstanceLock(id), ct);
                var references = await session.Query<ResourceView>().CountAsync(v => v.Type == ResourceTypes.Instances && v.InstanceId == id, ct);
                if (references > 0)
                    return Decision.Reject(DomainErrorCode.Conflict, $"service instance '{id}' still has {references} reference instance(s): delete them first");
                events.Add(new InstanceUnshared(now));
            }
            if (body.ContainsKey("labels"))
            {
                var (labels, _) = Labels.Apply(state.Labels, body["labels"]);
                events.Add(new InstanceLabelsChanged(labels!, now));
            }
            return events.Count == 0 ? new Decision.AlreadyDone() : new Decision.Accepted(Guid.NewGuid(), events);
        }, request.HttpContext.RequestAborted);
        if (decision is Decision.Rejected rejected) return DecisionResults.Error(rejected.Error);
        return Results.Json((await streams.Read<ManagedInstance, ManagedInstance>(ManagedInstance.StreamKey(id), request.HttpContext.RequestAborted)).ToJson());
    }

    private static bool Shareable(ResourceView plan) =>
        JsonNode.Parse(plan.Json)?["metadata"]?["shareable"] is JsonValue v
        && ((v.TryGetValue<bool>(out var b) && b) || (v.TryGetValue<string>(out var s) && s == "true"));
}
