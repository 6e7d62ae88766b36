using System.Text.Json;
using System.Text.Json.Nodes;
using EventSourced.Broker.Clusters;
using EventSourced.Broker.CloudConfigs;
using EventSourced.Broker.Dashboard;
using EventSourced.Broker.Deployments;
using EventSourced.Broker.Ops;
using EventSourced.Broker.Osb;
using EventSourced.Provisioners.Snapshots;
using Microsoft.Extensions.Options;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.Clusters;
using EventSourced.Projections.ServiceInstances;
using FluentValidation;
using FluentValidation.Results;
using Microsoft.AspNetCore.Mvc;

namespace EventSourced.Broker.ServiceInstances;

public static class ServiceInstanceEndpoints
{
    public static RouteGroupBuilder MapServiceInstances(this RouteGroupBuilder osb)
    {
        osb.MapPut("/service_instances/{instanceId}", Provision);
        osb.MapPatch("/service_instances/{instanceId}", Update);
        osb.MapGet("/service_instances/{instanceId}", Fetch);
        osb.MapDelete("/service_instances/{instanceId}", Deprovision);
        osb.MapGet("/service_instances/{instanceId}/last_operation", LastOperation);
        return osb;
    }

    private static async Task<IResult> Provision(
        string instanceId, [FromQuery(Name = "accepts_incomplete")] bool? acceptsIncomplete, HttpRequest request,
        ServiceCatalog catalog, IValidator<ProvisionServiceInstance> validator, InstanceProvisioning provisioning,
        ClusterMembers members, DashboardLinks dashboards, TimeProvider clock, SnapshotVerification snapshots, CurrentCloudAzs cloudAzs,
        CancellationToken ct)
    {
        if (!Guid.TryParse(instanceId, out var id)) return OsbErrors.BadRequest($"instance_id '{instanceId}' must be a GUID.");
        if (acceptsIncomplete != true) return OsbErrors.AsyncRequired();
        var (body, error) = await OsbRequest.ReadBody<ProvisionRequest>(request, ct);
        if (body is null) return OsbErrors.BadRequest(error!);
        if (OsbRequest.ObjectOrAbsent(body.Context, "context") is { } notAnObject) return OsbErrors.BadRequest(notAnObject);
        var (restore, parameters, restoreRefused) = SnapshotParameters.TakeRestore(body.Parameters);
        if (restoreRefused is not null) return OsbErrors.BadRequest(restoreRefused);
        if (restore is { } snapshotId)
        {
            // Checked before anything is recorded: an unknown, expired or altered snapshot, or another service's, creates nothing.
            var check = await snapshots.Check(snapshotId, ct);
            if (check.Refusal is { } refusal)
                return OsbErrors.From(refusal.Code == DomainErrorCode.NotFound ? refusal with { Code = DomainErrorCode.Invalid } : refusal);
            if (check.Manifest!.ServiceId != body.ServiceId)
                return OsbErrors.From(new DomainError(DomainErrorCode.Unprocessable,
                    $"Snapshot {snapshotId} is of service '{check.Manifest.ServiceId}', not '{body.ServiceId}'."));
            body = body with { Parameters = parameters };
        }

        var plan = catalog.FindPlan(body.ServiceId, body.PlanId);
        var now = clock.GetUtcNow();
        var command = new ProvisionServiceInstance(id, Guid.CreateVersion7(), body.ServiceId ?? "", body.PlanId ?? "",
            body.OrganizationGuid ?? "", body.SpaceGuid ?? "", body.Parameters?.GetRawText(), body.Context?.GetRawText(),
            plan?.DiskMb ?? 0, now, body.MaintenanceInfo?.Version, plan?.MaintenanceInfo?.Version, plan?.DeadlineFrom(now),
            plan?.Shape ?? InstanceShape.Dedicated)
        {
            RestoreFromSnapshot = restore,
            Cloud = await cloudAzs.ForProvisioning(body.Parameters, ct),
        };
        var validation = await validator.ValidateAsync(command, ct);
        if (!validation.IsValid) return OsbErrors.From(validation);

        var metadata = OsbRequest.Metadata(request, command.OperationId);
        if (command.Shape == InstanceShape.ClusterDatabase)
        {
            var (clusterId, unknown) = await ClusterReference.Resolve(members, command, ct);
            if (unknown is not null) return OsbErrors.From(unknown);
            command = command with { ClusterId = clusterId };
        }
        var decision = await provisioning.Decide(command, OriginatingIdentityFilter.Of(request.HttpContext)?.UserId, metadata, ct);
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

    private static async Task<IResult> Update(
        string instanceId, [FromQuery(Name = "accepts_incomplete")] bool? acceptsIncomplete, HttpRequest request,
        ServiceCatalog catalog, IValidator<InstanceUpdate> validator, ServiceInstanceStore instances, DeploymentPreview preview,
        DiskUsageCheck diskUsage, IOptions<SnapshotOptions> snapshotOptions, CurrentCloudAzs cloudAzs, TimeProvider clock, CancellationToken ct)
    {
        if (!Guid.TryParse(instanceId, out var id)) return OsbErrors.BadRequest($"instance_id '{instanceId}' must be a GUID.");
        var (body, error) = await OsbRequest.ReadBody<UpdateRequest>(request, ct);
        if (body is null) return OsbErrors.BadRequest(error!);
        if (catalog.FindService(body.ServiceId) is null) return OsbErrors.BadRequest($"Unknown service_id '{body.ServiceId}'.");
        var target = body.PlanId is null ? null : catalog.FindPlan(body.ServiceId, body.PlanId);
        if (body.PlanId is not null && target is null)
            return OsbErrors.BadRequest($"Unknown plan_id '{body.PlanId}' for service '{body.ServiceId}'.");
        if ((OsbRequest.ObjectOrAbsent(body.Parameters, "parameters") ?? OsbRequest.ObjectOrAbsent(body.Context, "context")) is { } notAnObject)
            return OsbErrors.BadRequest(notAnObject);
        var (dryRun, parameters, dryRunRefused) = DryRunParameter.Take(body.Parameters);
        if (dryRunRefused is not null) return OsbErrors.BadRequest(dryRunRefused);
        body = body with { Parameters = parameters };
        var (export, withoutExport, exportRefused) = SnapshotParameters.TakeExport(body.Parameters);
        if (exportRefused is not null) return OsbErrors.BadRequest(exportRefused);
        if (export)
        {
            if (dryRun || withoutExport is not null || body.PlanId is not null || body.MaintenanceInfo is not null)
                return OsbErrors.BadRequest($"parameters.{SnapshotParameters.Export} is an update of its own: send it without a plan, maintenance_info, dry_run or other parameters.");
            return await ExportByUpdate(id, acceptsIncomplete, request, catalog, instances, snapshotOptions.Value, clock, ct);
        }

        // A smaller disk than the data takes is refused before anything is decided (the usage is measured, not recorded).
        if (target is not null && await diskUsage.RefusalOf((await instances.Load(id, ct)).State, target, ct) is { } tooSmall)
            return OsbErrors.From(new DomainError(DomainErrorCode.Unprocessable, tooSmall));

        // The request is checked against the instance as its stream has it, in the decision itself: a read model may lag
        // behind a provisioning that just ended, or lack the row, and must not let a PATCH past its plan's schema.
        var cloud = body.Parameters is { ValueKind: JsonValueKind.Object } ? await cloudAzs.Read(ct) : null;
        var now = clock.GetUtcNow();
        var operationId = Guid.CreateVersion7();
        ValidationResult? refused = null;
        var asyncRequired = false;
        (ServiceInstance State, ServiceInstanceUpdateRequested? Update)? asked = null;
        var decision = await instances.Handle(id, state =>
        {
            (refused, asyncRequired) = (null, false);
            var update = new InstanceUpdate(state, body.ServiceId!, body.PlanId, body.Parameters, body.MaintenanceInfo?.Version, cloud);
            if (state.Exists && validator.Validate(update) is { IsValid: false } invalid)
            {
                refused = invalid;
                return new Decision.AlreadyDone();
            }
            var plan = InstanceUpdateValidator.PlanOf(catalog, update);
            var maintenance = body.PlanId is not null || body.MaintenanceInfo is not null ? plan?.MaintenanceInfo?.Version : null;
            var command = new UpdateServiceInstance(id, operationId, body.PlanId, NullIfNull(body.Parameters), NullIfNull(body.Context),
                maintenance, target?.DiskMb ?? 0, (from, to) => from == to || catalog.AllowsPlanChange(state.ServiceId, from, to), now,
                plan?.DeadlineFrom(now));
            var decided = ServiceInstanceDecisions.Decide(state, command);
            if (dryRun)
            {
                // Decided as the update would be, recorded never: the plan is made from the update it would request.
                asked = (state, (decided as Decision.Accepted)?.Events.OfType<ServiceInstanceUpdateRequested>().FirstOrDefault());
                return decided is Decision.Rejected ? decided : new Decision.AlreadyDone();
            }
            // An update that needs an operation is refused before anything is appended when the platform cannot poll.
            asyncRequired = acceptsIncomplete != true && decided is Decision.Accepted a && a.Events.Any(e => e is ServiceInstanceUpdateRequested);
            return asyncRequired ? new Decision.AlreadyDone() : decided;
        }, OsbRequest.Metadata(request, operationId), ct: ct);
        if (refused is not null) return OsbErrors.From(refused);
        if (asked is { } dry && decision is not Decision.Rejected) return await DryRun(dry.State, dry.Update, preview, ct);
        if (asyncRequired) return OsbErrors.AsyncRequired();
        return decision switch
        {
            Decision.Accepted a when a.Events.Any(e => e is ServiceInstanceUpdateRequested) =>
                Results.Json(new { operation = a.OperationId.ToString() }, statusCode: 202),
            Decision.Accepted or Decision.AlreadyDone => Results.Json(new { }, statusCode: 200),
            Decision.Rejected r => OsbErrors.From(r.Error),
            _ => throw new InvalidOperationException($"Unexpected decision {decision}"),
        };
    }

    private static async Task<IResult> Fetch(
        string instanceId, HttpRequest request, LastOperations lastOperations, DashboardLinks dashboards, CancellationToken ct)
    {
        if (!Guid.TryParse(instanceId, out var id)) return OsbErrors.BadRequest($"instance_id '{instanceId}' must be a GUID.");
        var instance = await lastOperations.Find(id, ct);
        if (instance is null || instance.Status is not (InstanceStatus.Provisioned or InstanceStatus.Deprovisioning or InstanceStatus.DeprovisioningFailed))
            return OsbErrors.NotFound($"Service instance {id} does not exist or is still being provisioned.");
        if (instance.LastOperation is { Kind: OperationKind.Update, InProgress: true })
            return OsbErrors.From(new DomainError(DomainErrorCode.ConcurrencyError, $"Service instance {id} is being updated."));
        return Results.Json(new OsbBody(ApiVersion.Of(request.HttpContext))
            .Add("service_id", instance.ServiceId)
            .Add("plan_id", instance.PlanId)
            .Add("dashboard_url", dashboards.For(id))
            .Add("parameters", instance.Parameters is null ? null : JsonNode.Parse(instance.Parameters))
            .Add(ApiFeature.MaintenanceInfo, "maintenance_info", instance.MaintenanceVersion is null ? null : new JsonObject { ["version"] = instance.MaintenanceVersion })
            .Add(ApiFeature.InstanceFetchMetadata, "metadata", new JsonObject { ["labels"] = new JsonObject(), ["attributes"] = new JsonObject() })
            .Build());
    }

    /// <summary>
    /// <c>{"export": true}</c>: a snapshot of the instance (kept <c>Snapshots:DaysToKeep</c> days) as an operation, the server
    /// untouched; its last_operation description names the snapshot.
    /// </summary>
    private static async Task<IResult> ExportByUpdate(
        Guid id, bool? acceptsIncomplete, HttpRequest request, ServiceCatalog catalog, ServiceInstanceStore instances, SnapshotOptions options,
        TimeProvider clock, CancellationToken ct)
    {
        if (acceptsIncomplete != true) return OsbErrors.AsyncRequired();
        var (now, operationId, snapshotId) = (clock.GetUtcNow(), Guid.CreateVersion7(), Guid.NewGuid());
        var decision = await instances.Handle(id, state => ServiceInstanceDecisions.Decide(state, new ExportServiceInstance(id, operationId, snapshotId, null,
            now.AddDays(options.DaysToKeep), now, catalog.FindPlan(state.ServiceId, state.PlanId)?.DeadlineFrom(now))),
            OsbRequest.Metadata(request, operationId), ct: ct);
        return decision switch
        {
            Decision.Accepted a => Results.Json(new { operation = a.OperationId.ToString() }, statusCode: 202),
            Decision.Rejected r => OsbErrors.From(r.Error),
            _ => throw new InvalidOperationException($"Unexpected decision {decision}"),
        };
    }

    /// <summary>A dry run's answer: always a 422 (nothing was done), the plan or why there is none in its description.</summary>
    private static async Task<IResult> DryRun(ServiceInstance state, ServiceInstanceUpdateRequested? update, DeploymentPreview preview, CancellationToken ct)
    {
        if (update is null)
            return OsbErrors.From(new DomainError(DomainErrorCode.Unprocessable, "Dry run: this update changes nothing to deploy (nothing was changed)."));
        var (report, refusal) = await preview.Of(state, update.PlanId, update.Parameters, update.MaintenanceVersion, ct);
        return OsbErrors.From(new DomainError(DomainErrorCode.Unprocessable, report?.Render() ?? $"Dry run: {refusal} (nothing was changed)"));
    }

    private static string? NullIfNull(JsonElement? element) => element is null or { ValueKind: JsonValueKind.Null } ? null : element.Value.GetRawText();

    private static async Task<IResult> Deprovision(
        string instanceId, [FromQuery(Name = "accepts_incomplete")] bool? acceptsIncomplete,
        [FromQuery(Name = "service_id")] string? serviceId, [FromQuery(Name = "plan_id")] string? planId, HttpRequest request,
        ServiceCatalog catalog, ServiceInstanceStore instances, TimeProvider clock, CancellationToken ct)
    {
        if (!Guid.TryParse(instanceId, out var id)) return OsbErrors.BadRequest($"instance_id '{instanceId}' must be a GUID.");
        if (string.IsNullOrEmpty(serviceId) || string.IsNullOrEmpty(planId))
            return OsbErrors.BadRequest("The query parameters service_id and plan_id are required.");
        if (acceptsIncomplete != true) return OsbErrors.AsyncRequired();

        var now = clock.GetUtcNow();
        var command = new DeprovisionServiceInstance(id, Guid.CreateVersion7(), now, catalog.FindPlan(serviceId, planId)?.DeadlineFrom(now));
        // Locked first: a cluster's deletion queues behind the attachments of its children instead of racing them.
        var decision = await instances.HandleExclusively(id, state => ServiceInstanceDecisions.Decide(state, command),
            OsbRequest.Metadata(request, command.OperationId), ct);
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
        var (exists, op) = await lastOperations.FindOperation(id, operationId, ct);
        if (!exists) return OsbErrors.NotFound($"Service instance {id} does not exist.");
        if (op is null) return OsbErrors.BadRequest($"Service instance {id} has no operation {operation}.");
        if (op.Kind == OperationKind.Deprovision && op.State == OperationState.Succeeded) return Results.Json(new { }, statusCode: 410);
        if (op.InProgress) response.Headers.RetryAfter = "2";
        if (op.State != OperationState.Failed) return new OperationStateBody(OperationStates.Osb(op.State), op.Description).ToResult();
        // A failed update leaves the instance usable unless its deploy says the server no longer serves (stopped before
        // the step that failed), and the update may be tried again; a failed provisioning or deprovisioning leaves
        // nothing usable behind.
        var usable = op.Kind == OperationKind.Update && op.InstanceUsable != false;
        return Results.Json(new OsbBody(ApiVersion.Of(response.HttpContext))
            .Add("state", OperationStates.Failed).Add("description", op.Description)
            .Add(ApiFeature.InstanceUsable, "instance_usable", usable)
            .Add(ApiFeature.UpdateRepeatable, "update_repeatable", op.Kind == OperationKind.Update ? true : null)
            .Build());
    }
}
