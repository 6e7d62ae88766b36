using EventSourced.Broker.Osb;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.ServiceInstances;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;

namespace EventSourced.Broker.ServiceInstances;

public static class ServiceInstanceEndpoints
{
    public static RouteGroupBuilder MapServiceInstances(this RouteGroupBuilder osb)
    {
        osb.MapPut("/service_instances/{instanceId}", Provision);
        osb.MapDelete("/service_instances/{instanceId}", Deprovision);
        osb.MapGet("/service_instances/{instanceId}/last_operation", LastOperation);
        return osb;
    }

    private static async Task<IResult> Provision(
        string instanceId, [FromQuery(Name = "accepts_incomplete")] bool? acceptsIncomplete, HttpRequest request,
        ServiceCatalog catalog, IValidator<ProvisionServiceInstance> validator, ServiceInstanceStore instances,
        DashboardLinks dashboards, TimeProvider clock, CancellationToken ct)
    {
        if (!Guid.TryParse(instanceId, out var id)) return OsbErrors.BadRequest($"instance_id '{instanceId}' must be a GUID.");
        if (acceptsIncomplete != true) return OsbErrors.AsyncRequired();
        var (body, error) = await OsbRequest.ReadBody<ProvisionRequest>(request, ct);
        if (body is null) return OsbErrors.BadRequest(error!);

        var command = new ProvisionServiceInstance(id, Guid.CreateVersion7(), body.ServiceId ?? "", body.PlanId ?? "",
            body.OrganizationGuid ?? "", body.SpaceGuid ?? "", body.Parameters?.GetRawText(), body.Context?.GetRawText(),
            catalog.FindPlan(body.ServiceId, body.PlanId)?.DiskMb ?? 0, clock.GetUtcNow(), body.MaintenanceInfo?.Version);
        var validation = await validator.ValidateAsync(command, ct);
        if (!validation.IsValid) return OsbErrors.From(validation);

        var decision = await instances.Handle(id, state => ServiceInstanceDecisions.Decide(state, command),
            OsbRequest.Metadata(request, command.OperationId), ct: ct);
        var dashboardUrl = dashboards.For(id);
        return decision switch
        {
            Decision.Accepted a => Results.Json(new { operation = a.OperationId.ToString(), dashboard_url = dashboardUrl }, statusCode: 202),
            Decision.AlreadyInProgress p => Results.Json(new { operation = p.OperationId.ToString(), dashboard_url = dashboardUrl }, statusCode: 202),
            Decision.AlreadyDone => Results.Json(new { dashboard_url = dashboardUrl }, statusCode: 200),
            Decision.Rejected r => OsbErrors.From(r.Error),
            _ => throw new InvalidOperationException($"Unexpected decision {decision}"),
        };
    }

    private static async Task<IResult> Deprovision(
        string instanceId, [FromQuery(Name = "accepts_incomplete")] bool? acceptsIncomplete,
        [FromQuery(Name = "service_id")] string? serviceId, [FromQuery(Name = "plan_id")] string? planId, HttpRequest request,
        ServiceInstanceStore instances, TimeProvider clock, CancellationToken ct)
    {
        if (!Guid.TryParse(instanceId, out var id)) return OsbErrors.BadRequest($"instance_id '{instanceId}' must be a GUID.");
        if (string.IsNullOrEmpty(serviceId) || string.IsNullOrEmpty(planId))
            return OsbErrors.BadRequest("The query parameters service_id and plan_id are required.");
        if (acceptsIncomplete != true) return OsbErrors.AsyncRequired();

        var command = new DeprovisionServiceInstance(id, Guid.CreateVersion7(), clock.GetUtcNow());
        var decision = await instances.Handle(id, state => ServiceInstanceDecisions.Decide(state, command),
            OsbRequest.Metadata(request, command.OperationId), ct: ct);
        return decision switch
        {
            Decision.Accepted a => Results.Json(new { operation = a.OperationId.ToString() }, statusCode: 202),
            Decision.AlreadyInProgress p => Results.Json(new { operation = p.OperationId.ToString() }, statusCode: 202),
            Decision.AlreadyDone => Results.Json(new { }, statusCode: 200),
            Decision.Rejected r => OsbErrors.From(r.Error),
            _ => throw new InvalidOperationException($"Unexpected decision {decision}"),
        };
    }

    private static async Task<IResult> LastOperation(
        string instanceId, [FromQuery(Name = "operation")] string? operation, HttpResponse response,
        LastOperations lastOperations, CancellationToken ct)
    {
        if (!Guid.TryParse(instanceId, out var id)) return OsbErrors.BadRequest($"instance_id '{instanceId}' must be a GUID.");
        Guid? operationId = null;
        if (operation is not null)
        {
            if (!Guid.TryParse(operation, out var parsed)) return OsbErrors.BadRequest($"operation '{operation}' is not an operation of this broker.");
            operationId = parsed;
        }
        var instance = await lastOperations.Find(id, ct);
        if (instance is null) return OsbErrors.NotFound($"Service instance {id} does not exist.");
        var op = operationId is null ? instance.LastOperation : instance.Operations.LastOrDefault(o => o.Id == operationId);
        if (op is null) return OsbErrors.BadRequest($"Service instance {id} has no operation {operation}.");
        if (op.Kind == OperationKind.Deprovision && op.State == OperationState.Succeeded) return Results.Json(new { }, statusCode: 410);
        if (op.State == OperationState.InProgress) response.Headers.RetryAfter = "2";
        return Results.Json(new { state = OperationStates.Osb(op.State), description = op.Description });
    }
}
