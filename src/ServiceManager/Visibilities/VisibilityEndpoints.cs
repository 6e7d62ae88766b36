using System.Text.Json.Nodes;
using EventSourced.Commands.ServiceInstances;
using EventSourced.ServiceManager.Hosting;
using EventSourced.ServiceManager.Platforms;
using EventSourced.ServiceManager.Resources;
using Marten;

namespace EventSourced.ServiceManager.Visibilities;

/// <summary><c>/v1/visibilities</c>: one per (platform or every platform, plan); a second for the same pair is 409 VisibilityAlreadyExists.</summary>
public static class VisibilityEndpoints
{
    public static RouteGroupBuilder MapVisibilities(this RouteGroupBuilder v1)
    {
        v1.MapGet($"/{ResourceTypes.Visibilities}", (HttpContext http, IDocumentStore store) => Listing.List(http, store, ResourceTypes.Visibilities));
        v1.MapGet($"/{ResourceTypes.Visibilities}/{{id}}", (string id, IDocumentStore store, CancellationToken ct) => Listing.Get(store, ResourceTypes.Visibilities, id, ct));
        v1.MapPost($"/{ResourceTypes.Visibilities}", Create);
        v1.MapPatch($"/{ResourceTypes.Visibilities}/{{id}}", Update);
        v1.MapDelete($"/{ResourceTypes.Visibilities}/{{id}}", Delete);
        return v1;
    }

    private static async Task<IResult> Create(HttpRequest request, ManagerStreams streams, TimeProvider clock, AsyncOperations operations)
    {
        var (body, error) = await RequestBody.Read(request);
        if (body is null) return ApiErrors.BadRequest(error!);
        var (platformId, platformError) = RequestBody.String(body, "platform_id", required: false, maxLength: 100);
        var (planId, planError) = RequestBody.String(body, "service_plan_id", required: true, maxLength: 100);
        var (labels, labelsError) = Labels.FromObject(body["labels"]);
        if (new[] { platformError, planError, labelsError }.FirstOrDefault(e => e is not null) is { } invalid) return ApiErrors.BadRequest(invalid);
        var id = Guid.NewGuid().ToString();
        return await operations.RunOrStart(request.HttpContext, ResourceTypes.Visibilities, id, "create", async ct =>
        {
            var decision = await streams.Handle<Visibility, Visibility>(Visibility.StreamKey(id), async (_, session, token) =>
                await Check(session, platformId, planId!, id, token) ?? ManagerStreams.Accept(new VisibilityCreated(id, platformId, planId!, labels!, clock.GetUtcNow())),
                ct);
            return await Answer(decision, streams, id, 201, ct);
        });
    }

    private static async Task<IResult> Update(string id, HttpRequest request, ManagerStreams streams, TimeProvider clock, AsyncOperations operations)
    {
        var (body, error) = await RequestBody.Read(request, allowEmpty: true);
        if (body is null) return ApiErrors.BadRequest(error!);
        string? platformId = null, planId = null, invalid = null;
        if (body.ContainsKey("platform_id")) (platformId, invalid) = RequestBody.String(body, "platform_id", required: false, maxLength: 100);
        if (invalid is null && body.ContainsKey("service_plan_id")) (planId, invalid) = RequestBody.String(body, "service_plan_id", required: true, maxLength: 100);
        if (invalid is null) (_, invalid) = Labels.Apply(Labels.Empty(), body["labels"]);
        if (invalid is not null) return ApiErrors.BadRequest(invalid);
        if (!(await streams.Read<Visibility, Visibility>(Visibility.StreamKey(id), request.HttpContext.RequestAborted)).Exists)
            return ApiErrors.NotFound($"visibility '{id}' not found");
        return await operations.RunOrStart(request.HttpContext, ResourceTypes.Visibilities, id, "update",
            token => Change(id, body, platformId, planId, streams, clock, token));
    }

    private static async Task<IResult> Change(string id, JsonObject body, string? platformId, string? planId, ManagerStreams streams, TimeProvider clock,
        CancellationToken token)
    {
        var decision = await streams.Handle<Visibility, Visibility>(Visibility.StreamKey(id), async (state, session, ct) =>
        {
            if (!state.Exists) return Decision.Reject(DomainErrorCode.NotFound, $"visibility '{id}' not found");
            var newPlatform = body.ContainsKey("platform_id") ? platformId : state.PlatformId;
            var newPlan = planId ?? state.ServicePlanId;
            if ((newPlatform != state.PlatformId || newPlan != state.ServicePlanId) && await Check(session, newPlatform, newPlan, id, ct) is { } refused)
                return refused;
            var (labels, _) = Labels.Apply(state.Labels, body["labels"]);
            return ManagerStreams.Accept(new VisibilityUpdated(newPlatform, newPlan, labels!, clock.GetUtcNow()));
        }, token);
        return await Answer(decision, streams, id, 200, token);
    }

    private static async Task<IResult> Delete(string id, HttpContext http, ManagerStreams streams, TimeProvider clock, AsyncOperations operations)
    {
        if (!(await streams.Read<Visibility, Visibility>(Visibility.StreamKey(id), http.RequestAborted)).Exists)
            return ApiErrors.NotFound($"visibility '{id}' not found");
        return await operations.RunOrStart(http, ResourceTypes.Visibilities, id, "delete", ct => DeleteNow(id, streams, clock, ct));
    }

    private static async Task<IResult> DeleteNow(string id, ManagerStreams streams, TimeProvider clock, CancellationToken ct)
    {
        var decision = await streams.Handle<Visibility, Visibility>(Visibility.StreamKey(id), (state, _, _) => Task.FromResult(state.Exists
            ? ManagerStreams.Accept(new VisibilityDeleted(clock.GetUtcNow()))
            : Decision.Reject(DomainErrorCode.NotFound, $"visibility '{id}' not found")), ct);
        return decision.Or(() => Results.Json(new JsonObject()));
    }

    /// <summary>A deregistered platform's visibilities go with it.</summary>
    public static async Task DeleteOfPlatform(ManagerStreams streams, string platformId, TimeProvider clock, CancellationToken ct)
    {
        List<string> ids;
        await using (var session = streams.Store.QuerySession())
            ids = (await session.Query<ResourceView>().Where(v => v.Type == ResourceTypes.Visibilities && v.PlatformId == platformId)
                .Select(v => v.ResourceId).ToListAsync(ct)).ToList();
        foreach (var id in ids) await DeleteNow(id, streams, clock, ct);
    }

    /// <summary>The plan and platform exist and no other visibility has the pair (under a lock, so two at once cannot both pass).</summary>
    private static async Task<Decision?> Check(IDocumentSession session, string? platformId, string planId, string id, CancellationToken ct)
    {
        await Locks.Exclusive(session, $"visibility:{platformId}:{planId}", ct);
        if (await session.LoadAsync<ResourceView>(ResourceView.Key(ResourceTypes.Plans, planId), ct) is null)
            return Decision.Reject(DomainErrorCode.Invalid, $"service_plan_id '{planId}' is not a plan of a registered broker");
        if (platformId is not null && await session.LoadAsync<ResourceView>(ResourceView.Key(ResourceTypes.Platforms, platformId), ct) is null)
            return Decision.Reject(DomainErrorCode.Invalid, $"platform_id '{platformId}' is not a registered platform");
        var exists = await session.Query<ResourceView>().AnyAsync(v => v.Type == ResourceTypes.Visibilities && v.ServicePlanId == planId
            && v.PlatformId == platformId && v.ResourceId != id, ct);
        return exists ? Decision.Reject(DomainErrorCode.Conflict, $"a visibility of plan '{planId}' for {(platformId is null ? "every platform" : $"platform '{platformId}'")} already exists") : null;
    }

    private static async Task<IResult> Answer(Decision decision, ManagerStreams streams, string id, int status, CancellationToken ct)
    {
        if (decision is Decision.Rejected { Error.Code: DomainErrorCode.Conflict } conflict)
            return ApiErrors.Of(409, "VisibilityAlreadyExists", conflict.Error.Description);
        if (decision is Decision.Rejected rejected) return DecisionResults.Error(rejected.Error);
        return Results.Json((await streams.Read<Visibility, Visibility>(Visibility.StreamKey(id), ct)).ToJson(), statusCode: status);
    }

    /// <summary>Whether the platform may use the plan in this OSB context (a visibility for it or for every platform whose labels the context meets).</summary>
    public static async Task<bool> Visible(IQuerySession session, string platformId, string planId, JsonObject? context, CancellationToken ct)
    {
        var visibilities = await session.Query<ResourceView>()
            .Where(v => v.Type == ResourceTypes.Visibilities && v.ServicePlanId == planId).ToListAsync(ct);
        return visibilities.Any(v => (v.PlatformId is null || v.PlatformId == platformId) && LabelsMet(v, context));
    }

    /// <summary>The plan ids the platform sees in its catalog (labels narrow provisioning, not the catalog).</summary>
    public static async Task<HashSet<string>> VisiblePlans(IQuerySession session, string platformId, CancellationToken ct) =>
        (await session.Query<ResourceView>().Where(v => v.Type == ResourceTypes.Visibilities).ToListAsync(ct))
        .Where(v => v.PlatformId is null || v.PlatformId == platformId).Select(v => v.ServicePlanId!).ToHashSet();

    private static bool LabelsMet(ResourceView visibility, JsonObject? context)
    {
        var labels = JsonNode.Parse(visibility.Json)!["labels"]!.AsObject();
        return labels.All(label => context?[label.Key] is JsonValue v && v.TryGetValue<string>(out var value)
            && label.Value!.AsArray().Any(allowed => allowed!.GetValue<string>() == value));
    }
}
