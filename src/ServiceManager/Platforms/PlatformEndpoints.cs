using System.Text.Json.Nodes;
using EventSourced.Commands.ServiceInstances;
using EventSourced.ServiceManager.Hosting;
using EventSourced.ServiceManager.Resources;
using EventSourced.ServiceManager.Visibilities;
using Marten;

namespace EventSourced.ServiceManager.Platforms;

/// <summary>
/// <c>/v1/platforms</c>: registering answers the platform's OSB credentials once (only their hash is kept);
/// <c>PATCH …?regenerateCredentials=true</c> replaces them; deleting is refused while the platform has instances, and
/// takes its visibilities with it.
/// </summary>
public static class PlatformEndpoints
{
    private const string NamesLock = "platform-names";

    public static RouteGroupBuilder MapPlatforms(this RouteGroupBuilder v1)
    {
        v1.MapGet($"/{ResourceTypes.Platforms}", (HttpContext http, IDocumentStore store) => Listing.List(http, store, ResourceTypes.Platforms));
        v1.MapGet($"/{ResourceTypes.Platforms}/{{id}}", (string id, IDocumentStore store, CancellationToken ct) => Listing.Get(store, ResourceTypes.Platforms, id, ct));
        v1.MapPost($"/{ResourceTypes.Platforms}", Register);
        v1.MapPatch($"/{ResourceTypes.Platforms}/{{id}}", Update);
        v1.MapDelete($"/{ResourceTypes.Platforms}/{{id}}", Delete);
        return v1;
    }

    /// <summary>Taken shared by every instance recorded for the platform, exclusively by the platform's deletion.</summary>
    public static string PlatformLock(string id) => $"platform:{id}";

    private static async Task<IResult> Register(HttpRequest request, ManagerStreams streams, TimeProvider clock)
    {
        var (body, error) = await RequestBody.Read(request);
        if (body is null) return ApiErrors.BadRequest(error!);
        var (id, idError) = RequestBody.String(body, "id", required: false, maxLength: 100);
        var (name, nameError) = RequestBody.String(body, "name", required: true);
        var (type, typeError) = RequestBody.String(body, "type", required: true, maxLength: 100);
        var (description, descriptionError) = RequestBody.String(body, "description", required: false, maxLength: 2000);
        var (labels, labelsError) = Labels.FromObject(body["labels"]);
        if (new[] { idError, nameError, typeError, descriptionError, labelsError }.FirstOrDefault(e => e is not null) is { } invalid)
            return ApiErrors.BadRequest(invalid);
        if (id is not null && !Identifiers.Valid(id)) return ApiErrors.BadRequest(Identifiers.Rule("id"));
        if (id == "service-manager") return ApiErrors.BadRequest("id 'service-manager' names the manager itself");
        id ??= Guid.NewGuid().ToString();
        var credentials = PlatformCredentials.Generate();
        var decision = await streams.Handle<Platform, Platform>(Platform.StreamKey(id), async (state, session, ct) =>
        {
            if (state.Exists) return Decision.Reject(DomainErrorCode.Conflict, $"a platform with id '{id}' is already registered");
            await Locks.Exclusive(session, NamesLock, ct);
            if (await NameTaken(session, name!, id, ct)) return Decision.Reject(DomainErrorCode.Conflict, $"a platform named '{name}' is already registered");
            return ManagerStreams.Accept(new PlatformRegistered(id, name!, type!, description, credentials.Username, credentials.Hash, credentials.Salt,
                labels!, clock.GetUtcNow()));
        }, request.HttpContext.RequestAborted);
        if (decision is Decision.Rejected rejected) return DecisionResults.Error(rejected.Error);
        var shown = (await streams.Read<Platform, Platform>(Platform.StreamKey(id), request.HttpContext.RequestAborted)).ToJson();
        shown["credentials"] = PlatformCredentials.Shown(credentials);
        return Results.Json(shown, statusCode: 201);
    }

    private static async Task<IResult> Update(string id, HttpRequest request, ManagerStreams streams, TimeProvider clock)
    {
        var (body, error) = await RequestBody.Read(request, allowEmpty: true);
        if (body is null) return ApiErrors.BadRequest(error!);
        var regenerate = request.Query["regenerateCredentials"].ToString() switch
        {
            "" or "false" => (bool?)false,
            "true" => true,
            _ => null,
        };
        if (regenerate is null) return ApiErrors.BadRequest("regenerateCredentials must be true or false");
        string? name = null, type = null, description = null;
        string? invalid = null;
        if (body.ContainsKey("name")) (name, invalid) = RequestBody.String(body, "name", required: true);
        if (invalid is null && body.ContainsKey("type")) (type, invalid) = RequestBody.String(body, "type", required: true, maxLength: 100);
        if (invalid is null && body.ContainsKey("description")) (description, invalid) = RequestBody.String(body, "description", required: false, maxLength: 2000);
        if (invalid is null) (_, invalid) = Labels.Apply(Labels.Empty(), body["labels"]);
        if (invalid is not null) return ApiErrors.BadRequest(invalid);
        var credentials = regenerate.Value ? PlatformCredentials.Generate() : null;
        var decision = await streams.Handle<Platform, Platform>(Platform.StreamKey(id), async (state, session, ct) =>
        {
            if (!state.Exists) return Decision.Reject(DomainErrorCode.NotFound, $"platform '{id}' not found");
            if (name is not null && name != state.Name)
            {
                await Locks.Exclusive(session, NamesLock, ct);
                if (await NameTaken(session, name, id, ct)) return Decision.Reject(DomainErrorCode.Conflict, $"a platform named '{name}' is already registered");
            }
            var (labels, _) = Labels.Apply(state.Labels, body["labels"]);
            var now = clock.GetUtcNow();
            var updated = new PlatformUpdated(name ?? state.Name, type ?? state.Type,
                body.ContainsKey("description") ? description : state.Description, labels!, now);
            return credentials is null
                ? ManagerStreams.Accept(updated)
                : ManagerStreams.Accept(updated, new PlatformCredentialsRegenerated(credentials.Username, credentials.Hash, credentials.Salt, now));
        }, request.HttpContext.RequestAborted);
        if (decision is Decision.Rejected rejected) return DecisionResults.Error(rejected.Error);
        var shown = (await streams.Read<Platform, Platform>(Platform.StreamKey(id), request.HttpContext.RequestAborted)).ToJson();
        if (credentials is not null) shown["credentials"] = PlatformCredentials.Shown(credentials);
        return Results.Json(shown);
    }

    private static async Task<IResult> Delete(string id, ManagerStreams streams, TimeProvider clock, CancellationToken ct)
    {
        var decision = await streams.Handle<Platform, Platform>(Platform.StreamKey(id), async (state, session, token) =>
        {
            if (!state.Exists) return Decision.Reject(DomainErrorCode.NotFound, $"platform '{id}' not found");
            await Locks.Exclusive(session, PlatformLock(id), token);
            var instances = await session.Query<ResourceView>().CountAsync(v => v.Type == ResourceTypes.Instances && v.PlatformId == id, token);
            return instances > 0
                ? Decision.Reject(DomainErrorCode.Conflict, $"platform '{id}' still has {instances} service instance(s): deprovision them first")
                : ManagerStreams.Accept(new PlatformDeleted(clock.GetUtcNow()));
        }, ct);
        if (decision is Decision.Rejected rejected) return DecisionResults.Error(rejected.Error);
        await VisibilityEndpoints.DeleteOfPlatform(streams, id, clock, ct);
        return Results.Json(new JsonObject());
    }

    private static async Task<bool> NameTaken(IDocumentSession session, string name, string id, CancellationToken ct) =>
        await session.Query<ResourceView>().AnyAsync(v => v.Type == ResourceTypes.Platforms && v.Name == name && v.ResourceId != id, ct);
}
