using System.Text.Json.Nodes;
using EventSourced.Commands.Json;
using EventSourced.Commands.ServiceInstances;
using EventSourced.ServiceManager.Brokers;
using EventSourced.ServiceManager.Hosting;
using EventSourced.ServiceManager.Instances;
using EventSourced.ServiceManager.Platforms;
using EventSourced.ServiceManager.Resources;
using EventSourced.ServiceManager.Visibilities;
using Marten;
using Microsoft.Extensions.Options;
using Operation = EventSourced.ServiceManager.Instances.Operation;

namespace EventSourced.ServiceManager.Osb;

/// <summary>
/// Instances through the proxy. The instance is recorded (its id claimed for the platform) before the broker is asked,
/// so two platforms asking for one id at once get one instance and one 409; a platform sees only its own instances (any
/// other answers as unknown). A reference instance never reaches the broker: it points at a shared instance.
/// </summary>
public static class OsbInstances
{
    public static async Task<IResult> Provision(
        string brokerId, string instanceId, HttpContext http, ManagerStreams streams, BrokerClient client, InstanceRecorder recorder,
        TimeProvider clock, IOptions<ServiceManagerOptions> options)
    {
        var ct = http.RequestAborted;
        var platformId = Authentication.Platform(http);
        if (!Identifiers.Valid(instanceId)) return ApiErrors.BadRequest(Identifiers.Rule("instance_id"));
        var broker = await streams.Read<Broker, Broker>(Broker.StreamKey(brokerId), ct);
        if (!broker.Exists) return ApiErrors.NotFound($"service broker '{brokerId}' not found");
        var (body, error) = await RequestBody.Read(http.Request);
        if (body is null) return ApiErrors.BadRequest(error!);
        var (serviceId, serviceError) = RequestBody.String(body, "service_id", required: true);
        var (planId, planError) = RequestBody.String(body, "plan_id", required: true);
        var (context, contextError) = OsbProxy.OptionalObject(body, "context");
        var (parameters, parametersError) = OsbProxy.OptionalObject(body, "parameters");
        if (new[] { serviceError, planError, contextError, parametersError }.FirstOrDefault(e => e is not null) is { } invalid)
            return ApiErrors.BadRequest(invalid);

        var catalog = BrokerCatalog.Of(broker.Id, broker.Catalog);
        var offering = catalog.Offerings.FirstOrDefault(o => o.CatalogId == serviceId);
        if (offering is not null && planId == ReferencePlan.CatalogId(offering.Id))
            return await OsbReferences.Provision(broker, offering, instanceId, platformId, context, parameters, http, streams, clock);
        var plan = catalog.Plans.FirstOrDefault(p => p.CatalogId == planId && p.Offering.CatalogId == serviceId);
        if (plan is null) return ApiErrors.BadRequest($"plan_id '{planId}' is not a plan of service_id '{serviceId}' in the catalog of broker '{brokerId}'");
        await using (var query = streams.Store.QuerySession())
            if (!await VisibilityEndpoints.Visible(query, platformId, plan.Id, context, ct))
                return ApiErrors.NotFound($"plan '{planId}' is not visible to this platform{(context is null ? "" : " in this context")}");

        var contextText = (context ?? []).ToJsonString();
        var parametersText = parameters?.ToJsonString();
        var operationId = Guid.NewGuid().ToString();
        var now = clock.GetUtcNow();
        var deadline = now + (plan.MaximumPollingDuration ?? options.Value.DefaultMaximumPollingDuration);
        var decision = await streams.Handle<ManagedInstance, ManagedInstance>(ManagedInstance.StreamKey(instanceId), async (state, session, token) =>
        {
            await Locks.Shared(session, BrokerEndpoints.BrokerLock(broker.Id), token);
            await Locks.Shared(session, PlatformEndpoints.PlatformLock(platformId), token);
            if (await session.LoadAsync<ResourceView>(ResourceView.Key(ResourceTypes.Brokers, broker.Id), token) is null)
                return Decision.Reject(DomainErrorCode.NotFound, $"service broker '{brokerId}' not found");
            if (state.Exists)
            {
                var identical = state.PlatformId == platformId && state.BrokerId == broker.Id && state.ServicePlanId == plan.Id
                                && JsonText.Equivalent(state.Context, contextText) && JsonText.Equivalent(state.Parameters, parametersText);
                if (!identical) return Decision.Reject(DomainErrorCode.Conflict, $"service instance '{instanceId}' already exists with other attributes");
                return state.LastOperation is { Type: "create", Running: true } running
                    ? new Decision.AlreadyInProgress(Guid.Parse(running.Id))
                    : state.Ready ? new Decision.AlreadyDone() : Decision.Reject(DomainErrorCode.Conflict, $"service instance '{instanceId}' exists and is not ready");
            }
            return ManagerStreams.Accept(new InstanceProvisionRequested(instanceId, broker.Id, plan.Id, plan.Offering.CatalogId, plan.CatalogId, platformId,
                contextText, parametersText, null, operationId, deadline, now));
        }, ct);
        switch (decision)
        {
            case Decision.Rejected { Error.Code: DomainErrorCode.Conflict } conflict:
                return ApiErrors.Of(409, "Conflict", conflict.Error.Description);
            case Decision.Rejected rejected:
                return DecisionResults.Error(rejected.Error);
            case Decision.AlreadyInProgress running:
                operationId = running.OperationId.ToString();
                break;
        }
        return await Forward(http, client, recorder, broker, HttpMethod.Put, $"/v2/service_instances/{instanceId}{http.Request.QueryString}", body,
            instanceId, operationId, "create");
    }

    public static async Task<IResult> Update(
        string brokerId, string instanceId, HttpContext http, ManagerStreams streams, BrokerClient client, InstanceRecorder recorder,
        TimeProvider clock, IOptions<ServiceManagerOptions> options)
    {
        var ct = http.RequestAborted;
        var platformId = Authentication.Platform(http);
        var (broker, instance, missing) = await Owned(brokerId, instanceId, platformId, streams, ct);
        if (missing is not null) return missing;
        var (body, error) = await RequestBody.Read(http.Request);
        if (body is null) return ApiErrors.BadRequest(error!);
        var (planId, planError) = RequestBody.String(body, "plan_id", required: false);
        var (context, contextError) = OsbProxy.OptionalObject(body, "context");
        var (parameters, parametersError) = OsbProxy.OptionalObject(body, "parameters");
        if (new[] { planError, contextError, parametersError }.FirstOrDefault(e => e is not null) is { } invalid) return ApiErrors.BadRequest(invalid);
        if (instance!.IsReference) return ApiErrors.Of(422, "UnprocessableEntity", "a reference instance cannot be updated");
        var catalog = BrokerCatalog.Of(broker!.Id, broker.Catalog);
        var plan = catalog.Plans.FirstOrDefault(p => p.CatalogId == (planId ?? instance.PlanCatalogId) && p.Offering.CatalogId == instance.ServiceCatalogId);
        if (plan is null) return ApiErrors.BadRequest($"plan_id '{planId}' is not a plan of the instance's service in the broker's catalog");
        if (plan.Id != instance.ServicePlanId)
        {
            await using var query = streams.Store.QuerySession();
            if (!await VisibilityEndpoints.Visible(query, platformId, plan.Id, context ?? JsonNode.Parse(instance.Context) as JsonObject, ct))
                return ApiErrors.NotFound($"plan '{planId}' is not visible to this platform");
        }
        var operationId = Guid.NewGuid().ToString();
        var now = clock.GetUtcNow();
        var decision = await streams.Handle<ManagedInstance, ManagedInstance>(ManagedInstance.StreamKey(instanceId), (state, _, _) => Task.FromResult(
            !state.Exists || state.PlatformId != platformId ? Decision.Reject(DomainErrorCode.NotFound, $"service instance '{instanceId}' not found")
            : state.LastOperation is { Running: true } ? Decision.Reject(DomainErrorCode.ConcurrencyError, "another operation of this instance is in progress")
            : !state.Ready ? Decision.Reject(DomainErrorCode.Unprocessable, $"service instance '{instanceId}' is not ready")
            : ManagerStreams.Accept(new InstanceUpdateRequested(operationId, plan.Id, plan.CatalogId, context?.ToJsonString() ?? state.Context,
                parameters is null ? state.Parameters : JsonText.Merge(state.Parameters, parameters.ToJsonString()),
                now + (plan.MaximumPollingDuration ?? options.Value.DefaultMaximumPollingDuration), now))), ct);
        if (decision is Decision.Rejected { Error.Code: DomainErrorCode.ConcurrencyError } busy)
            return ApiErrors.Of(422, "ConcurrencyError", busy.Error.Description);
        if (decision is Decision.Rejected rejected) return DecisionResults.Error(rejected.Error);
        return await Forward(http, client, recorder, broker, HttpMethod.Patch, $"/v2/service_instances/{instanceId}{http.Request.QueryString}", body,
            instanceId, operationId, "update");
    }

    public static async Task<IResult> Deprovision(
        string brokerId, string instanceId, HttpContext http, ManagerStreams streams, BrokerClient client, InstanceRecorder recorder,
        TimeProvider clock, IOptions<ServiceManagerOptions> options)
    {
        var ct = http.RequestAborted;
        var platformId = Authentication.Platform(http);
        var (broker, instance, missing) = await Owned(brokerId, instanceId, platformId, streams, ct);
        if (missing is not null) return ApiErrors.Of(410, "Gone", $"service instance '{instanceId}' does not exist");
        var operationId = Guid.NewGuid().ToString();
        var now = clock.GetUtcNow();
        var decision = await streams.Handle<ManagedInstance, ManagedInstance>(ManagedInstance.StreamKey(instanceId), async (state, session, token) =>
        {
            if (!state.Exists || state.PlatformId != platformId) return Decision.Reject(DomainErrorCode.Gone, $"service instance '{instanceId}' does not exist");
            if (state.LastOperation is { Type: "delete", Running: true } running) return new Decision.AlreadyInProgress(Guid.Parse(running.Id));
            await Locks.Exclusive(session, OsbReferences.InstanceLock(instanceId), token);
            var references = await session.Query<ResourceView>().CountAsync(v => v.Type == ResourceTypes.Instances && v.InstanceId == instanceId, token);
            if (references > 0)
                return Decision.Reject(DomainErrorCode.Unprocessable, $"service instance '{instanceId}' is shared and still has {references} reference instance(s): delete them first");
            var events = new List<EventSourced.Commands.EventStore.IDomainEvent>
            {
                new InstanceDeprovisionRequested(operationId, now + options.Value.DefaultMaximumPollingDuration, now),
            };
            if (state.IsReference) events.Add(new OperationSucceeded(operationId, null, now));
            return new Decision.Accepted(Guid.NewGuid(), events);
        }, ct);
        switch (decision)
        {
            case Decision.Rejected { Error.Code: DomainErrorCode.Gone }:
                return Results.Json(new JsonObject(), statusCode: 410);
            case Decision.Rejected rejected:
                return ApiErrors.Of(422, "UnprocessableEntity", rejected.Error.Description);
            case Decision.AlreadyInProgress running:
                operationId = running.OperationId.ToString();
                break;
        }
        if (instance!.IsReference) return Results.Json(new JsonObject());
        return await Forward(http, client, recorder, broker!, HttpMethod.Delete, $"/v2/service_instances/{instanceId}{http.Request.QueryString}", null,
            instanceId, operationId, "delete");
    }

    public static async Task<IResult> Fetch(string brokerId, string instanceId, HttpContext http, ManagerStreams streams, BrokerClient client)
    {
        var (broker, instance, missing) = await Owned(brokerId, instanceId, Authentication.Platform(http), streams, http.RequestAborted);
        if (missing is not null) return missing;
        if (instance!.IsReference)
            return Results.Json(new JsonObject
            {
                ["service_id"] = instance.ServiceCatalogId, ["plan_id"] = instance.PlanCatalogId,
                ["parameters"] = new JsonObject { [ReferencePlan.Parameter] = instance.ReferencedInstanceId },
            });
        return await OsbProxy.Pass(http, client, broker!, $"/v2/service_instances/{instanceId}{http.Request.QueryString}");
    }

    public static async Task<IResult> LastOperation(
        string brokerId, string instanceId, HttpContext http, ManagerStreams streams, BrokerClient client, InstanceRecorder recorder)
    {
        var ct = http.RequestAborted;
        var platformId = Authentication.Platform(http);
        var broker = await streams.Read<Broker, Broker>(Broker.StreamKey(brokerId), ct);
        var instance = await streams.Read<ManagedInstance, ManagedInstance>(ManagedInstance.StreamKey(instanceId), ct);
        if (!broker.Exists || instance.PlatformId != platformId || instance.BrokerId != broker.Id || instance.LastOperation is null)
            return ApiErrors.NotFound($"service instance '{instanceId}' not found");
        var last = instance.LastOperation;
        if (instance.IsReference || !last.Running)
        {
            // What the manager already knows: a finished operation (or a reference, which the broker never saw).
            if (!instance.Exists && last is { Type: "delete", State: Operation.Succeeded }) return Results.Json(new JsonObject(), statusCode: 410);
            if (!last.Running && !last.Accepted && last.State == Operation.Failed && !instance.Exists)
                return ApiErrors.NotFound($"service instance '{instanceId}' not found");
            if (instance.IsReference || last.State == Operation.Failed)
                return Results.Json(new JsonObject { ["state"] = last.State, ["description"] = last.Description });
        }
        try
        {
            var answer = await client.Send(broker, HttpMethod.Get, $"/v2/service_instances/{instanceId}/last_operation{http.Request.QueryString}", null,
                OsbProxy.Headers(http.Request), ct);
            if (last.Running) await recorder.RecordInstance(instanceId, last.Id, Outcome.OfLastOperation(answer, last.Type), CancellationToken.None);
            return OsbProxy.Relay(answer, http);
        }
        catch (BrokerUnreachable e)
        {
            return OsbProxy.Unreachable(e);
        }
    }

    /// <summary>The broker and an instance of it this platform owns; otherwise the 404 to answer.</summary>
    public static async Task<(Broker? Broker, ManagedInstance? Instance, IResult? Missing)> Owned(
        string brokerId, string instanceId, string platformId, ManagerStreams streams, CancellationToken ct)
    {
        var broker = await streams.Read<Broker, Broker>(Broker.StreamKey(brokerId), ct);
        if (!broker.Exists) return (null, null, ApiErrors.NotFound($"service broker '{brokerId}' not found"));
        if (!Identifiers.Valid(instanceId)) return (null, null, ApiErrors.NotFound($"service instance '{instanceId}' not found"));
        var instance = await streams.Read<ManagedInstance, ManagedInstance>(ManagedInstance.StreamKey(instanceId), ct);
        return instance.Exists && instance.PlatformId == platformId && instance.BrokerId == broker.Id
            ? (broker, instance, null)
            : (null, null, ApiErrors.NotFound($"service instance '{instanceId}' not found"));
    }

    private static Task<IResult> Forward(HttpContext http, BrokerClient client, InstanceRecorder recorder, Broker broker, HttpMethod method,
        string pathAndQuery, JsonObject? body, string instanceId, string operationId, string type) =>
        OsbProxy.Forward(http, client, broker, method, pathAndQuery, body, type,
            outcome => recorder.RecordInstance(instanceId, operationId, outcome, CancellationToken.None));
}
