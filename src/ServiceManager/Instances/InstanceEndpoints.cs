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
        v1.MapGet($"/{ResourceTypes.Bindings}", (HttpContext http, IDocumentStore store) => Listing.List(http, store, ResourceTypes.Bindings));
        v1.MapGet($"/{ResourceTypes.Bindings}/{{id}}", (string id, IDocumentStore store, CancellationToken ct) => Listing.Get(store, ResourceTypes.Bindings, id, ct));
        v1.MapGet($"/{ResourceTypes.Operations}", (HttpContext http, IDocumentStore store) => Listing.List(http, store, ResourceTypes.Operations));
        v1.MapGet("/{type}/{id}/operations/{operationId}", Operation);
        return v1;
    }

    /// <summary><c>GET /v1/{type}/{id}/operations/{operation}</c> of any resource type.</summary>
    public static async Task<IResult> Operation(string type, string id, string operationId, IDocumentStore store, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var view = await session.LoadAsync<ResourceView>(ResourceView.Key(ResourceTypes.Operations, operationId), ct);
        var operation = view is null ? null : JsonNode.Parse(view.Json);
        return operation?["resource_id"]?.GetValue<string>() == id && operation["resource_type"]?.GetValue<string>() == $"/v1/{type}"
            ? Results.Content(view!.Json, "application/json")
            : ApiErrors.NotFound($"operation '{operationId}' of {type} '{id}' not found");
    }

    private static async Task<IResult> Patch(string id, HttpRequest request, ManagerStreams streams, TimeProvider clock, AsyncOperations operations)
    {
        var (body, error) = await RequestBody.Read(request, allowEmpty: true);
        if (body is null) return ApiErrors.BadRequest(error!);
        var (shared, sharedError) = RequestBody.Boolean(body, "shared");
        var (_, labelsError) = Labels.Apply(Labels.Empty(), body["labels"]);
        if ((sharedError ?? labelsError) is { } invalid) return ApiErrors.BadRequest(invalid);
        var unsupported = body.Select(p => p.Key).Except(["shared", "labels"]).ToList();
        if (unsupported.Count > 0)
            return ApiErrors.BadRequest($"only shared and labels can be changed here ({string.Join(", ", unsupported)}): other changes go through the platform's OSB update");
        if (!(await streams.Read<ManagedInstance, ManagedInstance>(ManagedInstance.StreamKey(id), request.HttpContext.RequestAborted)).Exists)
            return ApiErrors.NotFound($"service instance '{id}' not found");
        return await operations.RunOrStart(request.HttpContext, ResourceTypes.Instances, id, "update", token => Change(id, body, shared, streams, clock, token));
    }

    private static async Task<IResult> Change(string id, JsonObject body, bool? shared, ManagerStreams streams, TimeProvider clock, CancellationToken token)
    {
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
        }, token);
        if (decision is Decision.Rejected rejected) return DecisionResults.Error(rejected.Error);
        return Results.Json((await streams.Read<ManagedInstance, ManagedInstance>(ManagedInstance.StreamKey(id), token)).ToJson());
    }

    private static bool Shareable(ResourceView plan) =>
        JsonNode.Parse(plan.Json)?["metadata"]?["shareable"] is JsonValue v
        && ((v.TryGetValue<bool>(out var b) && b) || (v.TryGetValue<string>(out var s) && s == "true"));
}
