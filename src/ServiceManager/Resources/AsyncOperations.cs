using System.Text.Json.Nodes;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.ServiceManager.Hosting;
using EventSourced.ServiceManager.Instances;
using Marten;
using Microsoft.Extensions.Options;
using Operation = EventSourced.ServiceManager.Instances.Operation;

namespace EventSourced.ServiceManager.Resources;

/// <summary>An operation on a registry resource that a client asked to run asynchronously (<c>?async=true</c>).</summary>
public sealed record AsyncOperationStarted(
    string OperationId, string ResourceType, string ResourceId, string Type, DateTimeOffset Deadline, DateTimeOffset At) : IDomainEvent;

/// <summary>The asynchronous operations of one resource: at most one runs at a time (another is refused with 422).</summary>
public sealed record ResourceOperations(string ResourceType, string ResourceId, IReadOnlyList<Operation> Operations) : IStreamKind<ResourceOperations>
{
    public static string StreamKey(string resourceType, string resourceId) => $"sm-operations-{resourceType}-{resourceId}";

    public static ResourceOperations Fold(IEnumerable<IDomainEvent> events) => events.Aggregate(new ResourceOperations("", "", []), (state, e) => e switch
    {
        AsyncOperationStarted s => new ResourceOperations(s.ResourceType, s.ResourceId,
            [.. state.Operations, new Operation(s.OperationId, s.Type, Operation.InProgress, null, null, s.Deadline, s.At, s.At)]),
        OperationSucceeded s => state with
        {
            Operations = state.Operations.Select(o => o.Id == s.OperationId ? o with { State = Operation.Succeeded, UpdatedAt = s.At } : o).ToList(),
        },
        OperationFailed f => state with
        {
            Operations = state.Operations.Select(o => o.Id == f.OperationId
                ? o with { State = Operation.Failed, Description = f.Description, UpdatedAt = f.At } : o).ToList(),
        },
        _ => state,
    });

    public static void Project(ResourceOperations state, IDocumentSession session)
    {
        foreach (var operation in state.Operations)
            session.Store(new ResourceView
            {
                Id = ResourceView.Key(ResourceTypes.Operations, operation.Id), Type = ResourceTypes.Operations, ResourceId = operation.Id,
                CreatedAt = operation.CreatedAt,
                Json = operation.ToJson(state.ResourceType, state.ResourceId, "service-manager", operation.UpdatedAt).ToJsonString(),
            });
    }
}

/// <summary>
/// Peripli's asynchronous operations for the registry: with <c>?async=true</c> a create, update or delete answers 202 with
/// <c>Location: /v1/{type}/{id}/operations/{op}</c> once the request is validated, and runs in the background; the
/// operation resource then reports its state and, on failure, the error the synchronous request would have answered.
/// An operation the manager did not finish by its deadline (it stopped meanwhile) is failed by the poller.
/// </summary>
public sealed class AsyncOperations(ManagerStreams streams, TimeProvider clock, IOptions<ServiceManagerOptions> options, IHostApplicationLifetime lifetime,
    ILogger<AsyncOperations> logger)
{
    public static bool Requested(HttpRequest request) => request.Query["async"].ToString() == "true";

    /// <summary>Runs <paramref name="work"/> now (without <c>?async=true</c>) or in the background, answering 202 and the operation's location.</summary>
    public async Task<IResult> RunOrStart(HttpContext http, string resourceType, string resourceId, string type, Func<CancellationToken, Task<IResult>> work)
    {
        var value = http.Request.Query["async"].ToString();
        if (value is not ("" or "true" or "false")) return ApiErrors.BadRequest("async must be true or false");
        if (value != "true") return await work(http.RequestAborted);
        var operationId = Guid.NewGuid().ToString();
        var now = clock.GetUtcNow();
        var started = await streams.Handle<ResourceOperations, ResourceOperations>(ResourceOperations.StreamKey(resourceType, resourceId), (state, _, _) =>
            Task.FromResult(state.Operations.Any(o => o.Running)
                ? Decision.Reject(DomainErrorCode.ConcurrencyError, $"another operation of {resourceType} '{resourceId}' is in progress")
                : ManagerStreams.Accept(new AsyncOperationStarted(operationId, resourceType, resourceId, type, now + 2 * options.Value.BrokerRequestTimeout, now))),
            http.RequestAborted);
        if (started is Decision.Rejected rejected) return DecisionResults.Error(rejected.Error);
        _ = Task.Run(() => Run(resourceType, resourceId, operationId, work));
        http.Response.Headers.Location = $"/v1/{resourceType}/{resourceId}/operations/{operationId}";
        return Results.Json(new JsonObject(), statusCode: 202);
    }

    private async Task Run(string resourceType, string resourceId, string operationId, Func<CancellationToken, Task<IResult>> work)
    {
        IDomainEvent outcome;
        try
        {
            var result = await work(lifetime.ApplicationStopping);
            var status = (result as IStatusCodeHttpResult)?.StatusCode ?? 200;
            outcome = status < 400
                ? new OperationSucceeded(operationId, null, clock.GetUtcNow())
                : new OperationFailed(operationId, Describe(result, status), false, clock.GetUtcNow());
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Asynchronous operation {Operation} of {Type} {Id} failed", operationId, resourceType, resourceId);
            outcome = new OperationFailed(operationId, $"the operation failed: {e.Message}", false, clock.GetUtcNow());
        }
        try
        {
            await Finish(resourceType, resourceId, operationId, outcome, CancellationToken.None);
        }
        catch (Exception e)
        {
            // The poller fails it at its deadline.
            logger.LogWarning(e, "The outcome of asynchronous operation {Operation} was not recorded", operationId);
        }
    }

    public Task Finish(string resourceType, string resourceId, string operationId, IDomainEvent outcome, CancellationToken ct) =>
        streams.Handle<ResourceOperations, ResourceOperations>(ResourceOperations.StreamKey(resourceType, resourceId), (state, _, _) =>
            Task.FromResult(state.Operations.Any(o => o.Id == operationId && o.Running) ? ManagerStreams.Accept(outcome) : new Decision.AlreadyDone()), ct);

    private static string Describe(IResult result, int status) =>
        (result as IValueHttpResult)?.Value is JsonObject error
            ? $"{status} {error["error"]}: {error["description"]}"
            : $"{status}";
}
