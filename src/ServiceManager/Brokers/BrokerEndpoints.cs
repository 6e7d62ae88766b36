using System.Text.Json.Nodes;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using EventSourced.ServiceManager.Hosting;
using EventSourced.ServiceManager.Resources;
using Marten;

namespace EventSourced.ServiceManager.Brokers;

/// <summary>
/// <c>/v1/service_brokers</c>: registering fetches the broker's catalog with the given credentials (refused, nothing
/// recorded, when the broker does not answer or its catalog is unusable), the password is stored encrypted; a PATCH
/// (even <c>{}</c>) fetches the catalog again; deleting is refused while instances of the broker exist.
/// </summary>
public static class BrokerEndpoints
{
    private const string NamesLock = "broker-names";

    public static RouteGroupBuilder MapBrokers(this RouteGroupBuilder v1)
    {
        v1.MapGet($"/{ResourceTypes.Brokers}", (HttpContext http, IDocumentStore store) => Listing.List(http, store, ResourceTypes.Brokers));
        v1.MapGet($"/{ResourceTypes.Brokers}/{{id}}", (string id, IDocumentStore store, CancellationToken ct) => Listing.Get(store, ResourceTypes.Brokers, id, ct));
        v1.MapPost($"/{ResourceTypes.Brokers}", Register);
        v1.MapPatch($"/{ResourceTypes.Brokers}/{{id}}", Update);
        v1.MapDelete($"/{ResourceTypes.Brokers}/{{id}}", Delete);
        v1.MapGet($"/{ResourceTypes.Offerings}", (HttpContext http, IDocumentStore store) => Listing.List(http, store, ResourceTypes.Offerings));
        v1.MapGet($"/{ResourceTypes.Offerings}/{{id}}", (string id, IDocumentStore store, CancellationToken ct) => Listing.Get(store, ResourceTypes.Offerings, id, ct));
        v1.MapGet($"/{ResourceTypes.Plans}", (HttpContext http, IDocumentStore store) => Listing.List(http, store, ResourceTypes.Plans));
        v1.MapGet($"/{ResourceTypes.Plans}/{{id}}", (string id, IDocumentStore store, CancellationToken ct) => Listing.Get(store, ResourceTypes.Plans, id, ct));
        return v1;
    }

    private static async Task<IResult> Register(HttpRequest request, ManagerStreams streams, BrokerClient client, SecretProtector secrets, TimeProvider clock,
        AsyncOperations operations)
    {
        var (body, error) = await RequestBody.Read(request);
        if (body is null) return ApiErrors.BadRequest(error!);
        var (id, idError) = RequestBody.String(body, "id", required: false, maxLength: 100);
        var (name, nameError) = RequestBody.String(body, "name", required: true);
        var (description, descriptionError) = RequestBody.String(body, "description", required: false, maxLength: 2000);
        var (url, urlError) = Url(body);
        var (credentials, credentialsError) = Credentials(body, required: true);
        var (labels, labelsError) = Labels.FromObject(body["labels"]);
        if (new[] { idError, nameError, descriptionError, urlError, credentialsError, labelsError }.FirstOrDefault(e => e is not null) is { } invalid)
            return ApiErrors.BadRequest(invalid);
        if (id is not null && !Identifiers.Valid(id)) return ApiErrors.BadRequest(Identifiers.Rule("id"));
        id ??= Guid.NewGuid().ToString();
        var encrypted = secrets.Protect(credentials!.Value.Password);
        return await operations.RunOrStart(request.HttpContext, ResourceTypes.Brokers, id, "create", async ct =>
        {
            var (catalog, catalogError) = await FetchCatalog(client, url!, credentials.Value.Username, credentials.Value.Password, ct);
            if (catalog is null) return catalogError!;
            var decision = await streams.Handle<Broker, Broker>(Broker.StreamKey(id), async (state, session, token) =>
            {
                if (state.Exists) return Decision.Reject(DomainErrorCode.Conflict, $"a service broker with id '{id}' is already registered");
                await Locks.Exclusive(session, NamesLock, token);
                if (await NameTaken(session, name!, id, token)) return Decision.Reject(DomainErrorCode.Conflict, $"a service broker named '{name}' is already registered");
                return ManagerStreams.Accept(new BrokerRegistered(id, name!, description, url!, credentials.Value.Username, encrypted, catalog, labels!, clock.GetUtcNow()));
            }, ct);
            return await Answer(decision, streams, id, 201, ct);
        });
    }

    private static async Task<IResult> Update(string id, HttpRequest request, ManagerStreams streams, BrokerClient client, SecretProtector secrets, TimeProvider clock,
        AsyncOperations operations)
    {
        var (body, error) = await RequestBody.Read(request, allowEmpty: true);
        if (body is null) return ApiErrors.BadRequest(error!);
        var current = await streams.Read<Broker, Broker>(Broker.StreamKey(id), request.HttpContext.RequestAborted);
        if (!current.Exists) return ApiErrors.NotFound($"service broker '{id}' not found");
        var (name, nameError) = body.ContainsKey("name") ? RequestBody.String(body, "name", required: true) : (current.Name, null);
        var (description, descriptionError) = body.ContainsKey("description")
            ? RequestBody.String(body, "description", required: false, maxLength: 2000) : (current.Description, null);
        var (url, urlError) = body.ContainsKey("broker_url") ? Url(body) : (current.Url, null);
        var (credentials, credentialsError) = Credentials(body, required: false);
        var (_, labelsError) = Labels.Apply(current.Labels, body["labels"]);
        if (new[] { nameError, descriptionError, urlError, credentialsError, labelsError }.FirstOrDefault(e => e is not null) is { } invalid)
            return ApiErrors.BadRequest(invalid);
        var username = credentials?.Username ?? current.Username;
        var password = credentials?.Password ?? secrets.Unprotect(current.EncryptedPassword);

        var encrypted = credentials is null ? null : secrets.Protect(credentials.Value.Password);
        return await operations.RunOrStart(request.HttpContext, ResourceTypes.Brokers, id, "update", async ct =>
        {
            var (catalog, catalogError) = await FetchCatalog(client, url!, username, password, ct);
            if (catalog is null) return catalogError!;
            var decision = await streams.Handle<Broker, Broker>(Broker.StreamKey(id), async (state, session, token) =>
            {
                if (!state.Exists) return Decision.Reject(DomainErrorCode.NotFound, $"service broker '{id}' not found");
                if (name != state.Name)
                {
                    await Locks.Exclusive(session, NamesLock, token);
                    if (await NameTaken(session, name!, id, token)) return Decision.Reject(DomainErrorCode.Conflict, $"a service broker named '{name}' is already registered");
                }
                var (labels, _) = Labels.Apply(state.Labels, body["labels"]);
                return ManagerStreams.Accept(new BrokerUpdated(name!, description, url!, username, encrypted ?? state.EncryptedPassword, catalog, labels!, clock.GetUtcNow()));
            }, ct);
            return await Answer(decision, streams, id, 200, ct);
        });
    }

    private static async Task<IResult> Delete(string id, HttpContext http, ManagerStreams streams, TimeProvider clock, AsyncOperations operations)
    {
        var current = await streams.Read<Broker, Broker>(Broker.StreamKey(id), http.RequestAborted);
        if (!current.Exists) return ApiErrors.NotFound($"service broker '{id}' not found");
        return await operations.RunOrStart(http, ResourceTypes.Brokers, id, "delete", ct => DeleteNow(id, streams, clock, ct));
    }

    private static async Task<IResult> DeleteNow(string id, ManagerStreams streams, TimeProvider clock, CancellationToken ct)
    {
        var decision = await streams.Handle<Broker, Broker>(Broker.StreamKey(id), async (state, session, token) =>
        {
            if (!state.Exists) return Decision.Reject(DomainErrorCode.NotFound, $"service broker '{id}' not found");
            await Locks.Exclusive(session, BrokerLock(id), token);
            var instances = await session.Query<ResourceView>().CountAsync(v => v.Type == ResourceTypes.Instances && v.BrokerId == id, token);
            return instances > 0
                ? Decision.Reject(DomainErrorCode.Conflict, $"service broker '{id}' still has {instances} service instance(s): deprovision them first")
                : ManagerStreams.Accept(new BrokerDeleted(clock.GetUtcNow()));
        }, ct);
        return decision.Or(() => Results.Json(new JsonObject()));
    }

    /// <summary>Taken shared by every instance recorded at the broker, exclusively by the broker's deletion.</summary>
    public static string BrokerLock(string id) => $"broker:{id}";

    private static async Task<IResult> Answer(Decision decision, ManagerStreams streams, string id, int status, CancellationToken ct)
    {
        if (decision is Decision.Rejected rejected) return DecisionResults.Error(rejected.Error);
        var state = await streams.Read<Broker, Broker>(Broker.StreamKey(id), ct);
        return Results.Json(state.ToJson(), statusCode: status);
    }

    private static async Task<bool> NameTaken(IDocumentSession session, string name, string id, CancellationToken ct) =>
        await session.Query<ResourceView>().AnyAsync(v => v.Type == ResourceTypes.Brokers && v.Name == name && v.ResourceId != id, ct);

    private static (string? Url, string? Error) Url(JsonObject body)
    {
        var (url, error) = RequestBody.String(body, "broker_url", required: true, maxLength: 2000);
        if (error is not null) return (null, error);
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && string.IsNullOrEmpty(uri.UserInfo)
               && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment)
            ? (url!.TrimEnd('/'), null)
            : (null, "broker_url must be an absolute http or https URL without user info, query or fragment");
    }

    private static ((string Username, string Password)? Value, string? Error) Credentials(JsonObject body, bool required)
    {
        if (!body.TryGetPropertyValue("credentials", out var node) || node is null)
            return required ? (null, "credentials is required: {\"basic\": {\"username\", \"password\"}}") : (null, null);
        if (node is not JsonObject credentials) return (null, "credentials must be an object");
        if (credentials["basic"] is not JsonObject basic)
            return (null, credentials.ContainsKey("tls") || credentials.ContainsKey("token")
                ? "credentials: only basic credentials are supported"
                : "credentials.basic must be an object {\"username\", \"password\"}");
        var (username, userError) = RequestBody.String(basic, "username", required: true);
        var (password, passwordError) = RequestBody.String(basic, "password", required: true, maxLength: 1000);
        if (userError is not null || passwordError is not null) return (null, $"credentials.basic.{userError ?? passwordError}");
        if (username!.Contains(':')) return (null, "credentials.basic.username must not contain ':'");
        return ((username, password!), null);
    }

    /// <summary>The broker's catalog as JSON text, or the error to answer (the broker's status, or every problem of its catalog).</summary>
    private static async Task<(string? Catalog, IResult? Error)> FetchCatalog(BrokerClient client, string url, string username, string password, CancellationToken ct)
    {
        BrokerAnswer answer;
        try
        {
            answer = await client.Send(url, username, password, HttpMethod.Get, "/v2/catalog", null, null, ct);
        }
        catch (BrokerUnreachable e)
        {
            return (null, ApiErrors.BrokerError(502, $"fetching the catalog failed: {e.Message}"));
        }
        if (!answer.Succeeded)
            return (null, ApiErrors.BrokerError(502, $"the broker answered {answer.Status} to GET /v2/catalog: {Excerpt(answer.Body)}"));
        var catalog = answer.Json;
        var problems = BrokerCatalog.Problems(catalog);
        return problems.Count > 0
            ? (null, ApiErrors.Of(400, "BadRequest", $"the broker's catalog is not usable: {string.Join("; ", problems.Take(20))}"))
            : (catalog!.ToJsonString(), null);
    }

    private static string Excerpt(string text) => text.Length > 300 ? text[..300] + "…" : text;
}
