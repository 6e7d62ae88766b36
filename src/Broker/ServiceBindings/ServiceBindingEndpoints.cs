using EventSourced.Broker.Hosting;
using EventSourced.Broker.Osb;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.ServiceBindings;
using EventSourced.Projections.ServiceInstances;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.ServiceBindings;

public static class ServiceBindingEndpoints
{
    private const string Route = "/service_instances/{instanceId}/service_bindings/{bindingId}";
    private static readonly TimeSpan SynchronousUnbindWait = TimeSpan.FromSeconds(60);

    public static RouteGroupBuilder MapServiceBindings(this RouteGroupBuilder osb)
    {
        osb.MapPut(Route, Bind);
        osb.MapGet(Route, Fetch);
        osb.MapDelete(Route, Unbind);
        osb.MapGet(Route + "/last_operation", LastOperation);
        return osb;
    }

    private static async Task<IResult> Bind(
        string instanceId, string bindingId, [FromQuery(Name = "accepts_incomplete")] bool? acceptsIncomplete, HttpRequest request,
        ServiceCatalog catalog, ServiceBindingStore bindings, LastOperations lastOperations, BindingOperations bindingOperations,
        SecretProtector secrets, TimeProvider clock, IOptions<BrokerOptions> options, CancellationToken ct)
    {
        if (!Ids.TryParse(instanceId, bindingId, out var ids, out var invalid)) return invalid!;
        var (body, error) = await OsbRequest.ReadBody<BindRequest>(request, ct);
        if (body is null) return OsbErrors.BadRequest(error!);
        if ((OsbRequest.ObjectOrAbsent(body.Parameters, "parameters") ?? OsbRequest.ObjectOrAbsent(body.Context, "context")) is { } notAnObject)
            return OsbErrors.BadRequest(notAnObject);
        if (string.IsNullOrEmpty(body.ServiceId) || string.IsNullOrEmpty(body.PlanId))
            return OsbErrors.BadRequest("service_id and plan_id are required.");
        if (catalog.FindPlan(body.ServiceId, body.PlanId) is not { } plan) return OsbErrors.BadRequest($"Unknown plan_id '{body.PlanId}'.");
        if (!catalog.FindService(body.ServiceId)!.IsBindable(plan)) return OsbErrors.BadRequest($"Plan '{plan.Name}' is not bindable.");
        if (catalog.Schemas.Validate(plan, SchemaKind.ServiceBindingCreate, body.Parameters) is { Count: > 0 } problems)
            return OsbErrors.BadRequest(string.Join(" ", problems));
        Guid? predecessor = null;
        if (body.PredecessorBindingId is { } p)
        {
            if (!plan.BindingRotatable) return OsbErrors.BadRequest($"Plan '{plan.Name}' does not allow binding rotation.");
            if (!Guid.TryParse(p, out var parsed)) return OsbErrors.BadRequest($"predecessor_binding_id '{p}' must be a GUID.");
            predecessor = parsed;
        }

        var now = clock.GetUtcNow();
        var command = new BindServiceInstance(ids.Instance, ids.Binding, Guid.CreateVersion7(), body.AppGuid ?? body.BindResource?.AppGuid,
            body.Parameters?.GetRawText(), body.Context?.GetRawText(), predecessor, now, now + plan.CredentialLifetime, plan.Id);
        var decision = await bindings.Handle(ids.Instance, ids.Binding, async (instance, binding, token) =>
                ServiceBindingDecisions.Decide(instance, binding,
                    predecessor is { } p ? await bindings.Load(p, token) : null, command),
            OsbRequest.Metadata(request, command.OperationId), ct: ct);
        switch (decision)
        {
            case Decision.Rejected rejected:
                return OsbErrors.From(rejected.Error);
            case Decision.Accepted or Decision.AlreadyInProgress when acceptsIncomplete == true
                                                                   && ApiVersion.Of(request.HttpContext).Supports(ApiFeature.AsyncBindings):
                return Results.Json(new { operation = OperationOf(decision).ToString() }, statusCode: 202);
        }
        // A synchronous answer is a promise about the binding: 201/200 only with a login that exists, an error only when
        // none will. So a bind that outlasts the wait is given up on its stream before the answer; its late login is then
        // refused and dropped by the sub-provisioner.
        var wait = options.Value.SynchronousBindTimeout;
        var (instance, binding) = await WaitForOutcome(lastOperations, bindingOperations, ids, wait, ct);
        if (binding.LastOperation is { InProgress: true, Kind: OperationKind.Bind } late)
        {
            var reason = $"The binding did not complete within {wait.TotalSeconds:0.#} s, the longest a bind without accepts_incomplete=true "
                + "waits: it was given up and its login removed. Bind again (with accepts_incomplete=true on API 2.14+).";
            var given = new ServiceBindingFailed(ids.Instance, ids.Binding, late.Id, reason, clock.GetUtcNow());
            await bindings.Handle(ids.Binding,
                current => ServiceBindingDecisions.Decide(current, new RecordBindingOutcome(ids.Binding, late.Id, given)),
                OsbRequest.Metadata(request, late.Id), ct: ct);
            (instance, binding) = await WaitForOutcome(lastOperations, bindingOperations, ids, TimeSpan.Zero, ct);
        }
        // A failure after the request was recorded is the broker's (500): the platform's orphan mitigation may unbind.
        return binding.Status == BindingStatus.Created && await lastOperations.ServerOf(instance, ct) is { } server
            ? Results.Json(BindingCredentials.Body(instance, server, binding, secrets, ApiVersion.Of(request.HttpContext),
                    provisioner: catalog.ProvisionerOf(instance.ServiceId)),
                statusCode: decision is Decision.AlreadyDone ? 200 : 201)
            : Results.Json(new OsbError(null, binding.LastOperation.Description), statusCode: StatusCodes.Status500InternalServerError);
    }

    private static async Task<IResult> Fetch(
        string instanceId, string bindingId, HttpRequest request, LastOperations lastOperations, BindingOperations bindingOperations,
        SecretProtector secrets, ServiceCatalog catalog, CancellationToken ct)
    {
        if (!Ids.TryParse(instanceId, bindingId, out var ids, out var invalid)) return invalid!;
        var instance = await lastOperations.Find(ids.Instance, ct);
        var provisioner = catalog.ProvisionerOf(instance?.ServiceId);
        return instance is { Exists: true } && (instance.Database is not null || provisioner is { Definition.Provides.HasDatabase: false })
               && await lastOperations.ServerOf(instance, ct) is { } server
               && await bindingOperations.Find(ids.Instance, ids.Binding, ct) is { Status: BindingStatus.Created } binding && binding.IsOf(instance)
            ? Results.Json(BindingCredentials.Body(instance, server, binding, secrets, ApiVersion.Of(request.HttpContext), fetched: true, provisioner))
            : OsbErrors.NotFound($"Service binding {bindingId} does not exist or is not ready.");
    }

    private static async Task<IResult> Unbind(
        string instanceId, string bindingId, [FromQuery(Name = "accepts_incomplete")] bool? acceptsIncomplete,
        [FromQuery(Name = "service_id")] string? serviceId, [FromQuery(Name = "plan_id")] string? planId, HttpRequest request,
        ServiceBindingStore bindings, LastOperations lastOperations, BindingOperations bindingOperations, TimeProvider clock,
        CancellationToken ct)
    {
        if (!Ids.TryParse(instanceId, bindingId, out var ids, out var invalid)) return invalid!;
        if (string.IsNullOrEmpty(serviceId) || string.IsNullOrEmpty(planId))
            return OsbErrors.BadRequest("The query parameters service_id and plan_id are required.");
        var command = new UnbindServiceInstance(ids.Instance, ids.Binding, Guid.CreateVersion7(), clock.GetUtcNow());
        var decision = await bindings.Handle(ids.Instance, ids.Binding,
            (instance, binding, _) => Task.FromResult(ServiceBindingDecisions.Decide(instance, binding, command)),
            OsbRequest.Metadata(request, command.OperationId), ct: ct);
        if (decision is Decision.Rejected rejected) return OsbErrors.From(rejected.Error);
        if (acceptsIncomplete == true && ApiVersion.Of(request.HttpContext).Supports(ApiFeature.AsyncBindings))
            return Results.Json(new { operation = OperationOf(decision).ToString() }, statusCode: 202);
        var (_, binding) = await WaitForOutcome(lastOperations, bindingOperations, ids, SynchronousUnbindWait, ct);
        return binding.Status == BindingStatus.Deleted
            ? Results.Json(new { }, statusCode: 200)
            : OsbErrors.From(new DomainError(DomainErrorCode.Unprocessable, binding.LastOperation.Description));
    }

    private static async Task<IResult> LastOperation(
        string instanceId, string bindingId, [FromQuery(Name = "operation")] string? operation, HttpResponse response,
        LastOperations lastOperations, BindingOperations bindingOperations, CancellationToken ct)
    {
        if (!Ids.TryParse(instanceId, bindingId, out var ids, out var invalid)) return invalid!;
        var binding = await bindingOperations.Find(ids.Instance, ids.Binding, ct);
        if (binding is null || await lastOperations.Find(ids.Instance, ct) is not { Exists: true } instance || !binding.IsOf(instance))
            return OsbErrors.NotFound($"Service binding {bindingId} does not exist.");
        var op = operation is null ? binding.LastOperation
            : Guid.TryParse(operation, out var operationId) ? binding.Operations.LastOrDefault(o => o.Id == operationId) : null;
        if (op is null) return OsbErrors.BadRequest($"Service binding {bindingId} has no operation '{operation}'.");
        if (op.Kind == OperationKind.Unbind && op.State == OperationState.Succeeded) return Results.Json(new { }, statusCode: 410);
        if (op.InProgress) response.Headers.RetryAfter = "1";
        return new OperationStateBody(OperationStates.Osb(op.State), op.Description).ToResult();
    }

    /// <summary>A platform that cannot poll gets the answer in the response: the binding's outcome is awaited here.</summary>
    private static async Task<(ServiceInstance Instance, ServiceBinding Binding)> WaitForOutcome(
        LastOperations lastOperations, BindingOperations bindingOperations, (Guid Instance, Guid Binding) ids, TimeSpan wait, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            var binding = (await bindingOperations.Find(ids.Instance, ids.Binding, ct))!;
            if (!binding.LastOperation.InProgress || DateTime.UtcNow > deadline)
                return ((await lastOperations.Find(ids.Instance, ct))!, binding);
            await Task.Delay(25, ct);
        }
    }

    private static Guid OperationOf(Decision decision) => decision switch
    {
        Decision.Accepted a => a.OperationId,
        Decision.AlreadyInProgress p => p.OperationId,
        _ => Guid.Empty,
    };
}
