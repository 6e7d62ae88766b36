using System.Text.Json.Nodes;
using EventSourced.Commands.Json;
using EventSourced.Commands.ServiceInstances;
using EventSourced.ServiceManager.Brokers;
using EventSourced.ServiceManager.Hosting;
using EventSourced.ServiceManager.Instances;
using EventSourced.ServiceManager.Resources;
using Microsoft.Extensions.Options;
using Operation = EventSourced.ServiceManager.Instances.Operation;

namespace EventSourced.ServiceManager.Osb;

/// <summary>
/// Bindings through the proxy, recorded before the broker is asked. A binding of a reference instance binds the shared
/// instance at the broker (with its service and plan ids). Credentials go from the broker to the platform untouched and
/// are never stored.
/// </summary>
public static class OsbBindings
{
    public static async Task<IResult> Bind(
        string brokerId, string instanceId, string bindingId, HttpContext http, ManagerStreams streams, BrokerClient client, InstanceRecorder recorder,
        TimeProvider clock, IOptions<ServiceManagerOptions> options)
    {
        var ct = http.RequestAborted;
        var platformId = Authentication.Platform(http);
        var (broker, instance, missing) = await OsbInstances.Owned(brokerId, instanceId, platformId, streams, ct);
        if (missing is not null) return missing;
        if (!Identifiers.Valid(bindingId)) return ApiErrors.BadRequest(Identifiers.Rule("binding_id"));
        var (body, error) = await RequestBody.Read(http.Request);
        if (body is null) return ApiErrors.BadRequest(error!);
        var (context, contextError) = OsbProxy.OptionalObject(body, "context");
        var (parameters, parametersError) = OsbProxy.OptionalObject(body, "parameters");
        if ((contextError ?? parametersError) is { } invalid) return ApiErrors.BadRequest(invalid);
        if (!instance!.Ready) return ApiErrors.Of(422, "UnprocessableEntity", $"service instance '{instanceId}' is not ready");
        var target = instance.IsReference
            ? await streams.Read<ManagedInstance, ManagedInstance>(ManagedInstance.StreamKey(instance.ReferencedInstanceId!), ct)
            : instance;
        if (!target.Exists || !target.Ready) return ApiErrors.Of(422, "UnprocessableEntity", $"the referenced instance '{target.Id}' is not ready");
        // The broker knows the instance it binds by its own service and plan ids.
        body["service_id"] = target.ServiceCatalogId;
        body["plan_id"] = target.PlanCatalogId;

        var contextText = (context ?? []).ToJsonString();
        var parametersText = parameters?.ToJsonString();
        var operationId = Guid.NewGuid().ToString();
        var now = clock.GetUtcNow();
        var decision = await streams.Handle<ManagedBinding, ManagedBinding>(ManagedBinding.StreamKey(bindingId), (state, _, _) =>
        {
            if (state.Exists)
            {
                var identical = state.PlatformId == platformId && state.InstanceId == instanceId && JsonText.Equivalent(state.Context, contextText)
                                && JsonText.Equivalent(state.Parameters, parametersText);
                return Task.FromResult(!identical
                    ? Decision.Reject(DomainErrorCode.Conflict, $"service binding '{bindingId}' already exists with other attributes")
                    : state.LastOperation is { Type: "create", Running: true } running ? new Decision.AlreadyInProgress(Guid.Parse(running.Id))
                    : new Decision.AlreadyDone());
            }
            return Task.FromResult(ManagerStreams.Accept(new BindingRequested(bindingId, instanceId, target.Id, broker!.Id, target.ServicePlanId,
                target.PlanCatalogId, target.ServiceCatalogId, platformId, contextText, parametersText, operationId,
                now + options.Value.DefaultMaximumPollingDuration, now)));
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
        return await Forward(http, client, recorder, broker!, HttpMethod.Put,
            $"/v2/service_instances/{target.Id}/service_bindings/{bindingId}{http.Request.QueryString}", body, bindingId, operationId, "create");
    }

    public static async Task<IResult> Unbind(
        string brokerId, string instanceId, string bindingId, HttpContext http, ManagerStreams streams, BrokerClient client, InstanceRecorder recorder,
        TimeProvider clock, IOptions<ServiceManagerOptions> options)
    {
        var ct = http.RequestAborted;
        var (broker, binding, missing) = await Owned(brokerId, instanceId, bindingId, Authentication.Platform(http), streams, ct);
        if (missing is not null) return Results.Json(new JsonObject(), statusCode: 410);
        var operationId = Guid.NewGuid().ToString();
        var now = clock.GetUtcNow();
        var decision = await streams.Handle<ManagedBinding, ManagedBinding>(ManagedBinding.StreamKey(bindingId), (state, _, _) => Task.FromResult(
            !state.Exists ? Decision.Reject(DomainErrorCode.Gone, "gone")
            : state.LastOperation is { Type: "delete", Running: true } running ? new Decision.AlreadyInProgress(Guid.Parse(running.Id))
            : ManagerStreams.Accept(new UnbindRequested(operationId, now + options.Value.DefaultMaximumPollingDuration, now))), ct);
        if (decision is Decision.Rejected) return Results.Json(new JsonObject(), statusCode: 410);
        if (decision is Decision.AlreadyInProgress again) operationId = again.OperationId.ToString();
        var query = OsbProxy.Query(http.Request, ("service_id", binding!.ServiceCatalogId), ("plan_id", binding.PlanCatalogId));
        return await Forward(http, client, recorder, broker!, HttpMethod.Delete,
            $"/v2/service_instances/{binding.TargetInstanceId}/service_bindings/{bindingId}{query}", null, bindingId, operationId, "delete");
    }

    public static async Task<IResult> Fetch(string brokerId, string instanceId, string bindingId, HttpContext http, ManagerStreams streams, BrokerClient client)
    {
        var (broker, binding, missing) = await Owned(brokerId, instanceId, bindingId, Authentication.Platform(http), streams, http.RequestAborted);
        if (missing is not null) return missing;
        return await OsbProxy.Pass(http, client, broker!,
            $"/v2/service_instances/{binding!.TargetInstanceId}/service_bindings/{bindingId}{http.Request.QueryString}");
    }

    public static async Task<IResult> LastOperation(
        string brokerId, string instanceId, string bindingId, HttpContext http, ManagerStreams streams, BrokerClient client, InstanceRecorder recorder)
    {
        var ct = http.RequestAborted;
        var platformId = Authentication.Platform(http);
        var broker = await streams.Read<Broker, Broker>(Broker.StreamKey(brokerId), ct);
        var binding = await streams.Read<ManagedBinding, ManagedBinding>(ManagedBinding.StreamKey(bindingId), ct);
        if (!broker.Exists || binding.PlatformId != platformId || binding.InstanceId != instanceId || binding.LastOperation is not { } last)
            return ApiErrors.NotFound($"service binding '{bindingId}' not found");
        if (!last.Running)
        {
            if (!binding.Exists && last is { Type: "delete", State: Operation.Succeeded }) return Results.Json(new JsonObject(), statusCode: 410);
            if (last.State == Operation.Failed) return Results.Json(new JsonObject { ["state"] = last.State, ["description"] = last.Description });
        }
        try
        {
            var answer = await client.Send(broker, HttpMethod.Get,
                $"/v2/service_instances/{binding.TargetInstanceId}/service_bindings/{bindingId}/last_operation{http.Request.QueryString}", null,
                OsbProxy.Headers(http.Request), ct);
            if (last.Running) await recorder.RecordBinding(bindingId, last.Id, Outcome.OfLastOperation(answer, last.Type), CancellationToken.None);
            return OsbProxy.Relay(answer, http);
        }
        catch (BrokerUnreachable e)
        {
            return OsbProxy.Unreachable(e);
        }
    }

    private static async Task<(Broker? Broker, ManagedBinding? Binding, IResult? Missing)> Owned(
        string brokerId, string instanceId, string bindingId, string platformId, ManagerStreams streams, CancellationToken ct)
    {
        var broker = await streams.Read<Broker, Broker>(Broker.StreamKey(brokerId), ct);
        if (!broker.Exists || !Identifiers.Valid(bindingId)) return (null, null, ApiErrors.NotFound($"service binding '{bindingId}' not found"));
        var binding = await streams.Read<ManagedBinding, ManagedBinding>(ManagedBinding.StreamKey(bindingId), ct);
        return binding.Exists && binding.PlatformId == platformId && binding.InstanceId == instanceId && binding.BrokerId == broker.Id
            ? (broker, binding, null)
            : (null, null, ApiErrors.NotFound($"service binding '{bindingId}' not found"));
    }

    private static Task<IResult> Forward(HttpContext http, BrokerClient client, InstanceRecorder recorder, Broker broker, HttpMethod method,
        string pathAndQuery, JsonObject? body, string bindingId, string operationId, string type) =>
        OsbProxy.Forward(http, client, broker, method, pathAndQuery, body, type,
            outcome => recorder.RecordBinding(bindingId, operationId, outcome, CancellationToken.None));
}
