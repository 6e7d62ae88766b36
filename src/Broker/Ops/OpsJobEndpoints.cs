using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EventSourced.Broker.CloudConfigs;
using EventSourced.Broker.Osb;
using EventSourced.Broker.ServiceInstances;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using FluentValidation;

namespace EventSourced.Broker.Ops;

/// <summary>
/// Provisioning jobs: a job is an operation of the instance, the very one OSB starts (same commands, stream, saga and
/// read models), its id the operation's. The request is recorded with the ops client as its originating identity.
/// </summary>
public static partial class OpsJobEndpoints
{
    public static RouteGroupBuilder MapOpsJobs(this RouteGroupBuilder ops)
    {
        ops.MapPost("/provision", Provision).Accepts<ProvisionJobRequest>("application/json")
            .Produces<JobAccepted>(StatusCodes.Status202Accepted).ProducesErrors(400, 401, 409, 413);
        ops.MapPost("/deprovision", Deprovision).Accepts<DeprovisionJobRequest>("application/json")
            .Produces<JobAccepted>(StatusCodes.Status202Accepted).ProducesErrors(400, 401, 404, 409, 413);
        ops.MapGet("/jobs/{jobId}", Job).Produces<JobView>().ProducesErrors(400, 401, 404);
        return ops;
    }

    private static async Task<IResult> Provision(
        HttpRequest request, ServiceCatalog catalog, IValidator<ProvisionServiceInstance> validator, InstanceProvisioning provisioning,
        IConfiguration configuration, TimeProvider clock, CancellationToken ct)
    {
        var (body, error) = await OsbRequest.ReadBody<ProvisionJobRequest>(request, ct, OpsApi.Json);
        if (body is null) return OpsErrors.BadRequest(error!);
        return await StartProvisioning(request, body, null, catalog, validator, provisioning, configuration, clock, ct);
    }

    /// <summary>A provision job, or an import's (<paramref name="restore"/>: the verified snapshot and its service and plan).</summary>
    internal static async Task<IResult> StartProvisioning(
        HttpRequest request, ProvisionJobRequest body, (Guid SnapshotId, string ServiceId, string PlanId)? restore, ServiceCatalog catalog,
        IValidator<ProvisionServiceInstance> validator, InstanceProvisioning provisioning, IConfiguration configuration, TimeProvider clock, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(body.OwnerId)) return OpsErrors.BadRequest("ownerId is required: the owner of the new instance.");
        if (!OwnerPattern().IsMatch(body.OwnerId))
            return OpsErrors.BadRequest($"ownerId must be 1 to 100 letters, digits or . _ @ - (not '{body.OwnerId}').");
        if (body.OwnerType is not null && !OwnerPattern().IsMatch(body.OwnerType))
            return OpsErrors.BadRequest("ownerType must be 1 to 100 letters, digits or . _ @ -.");
        if (!Guid.TryParse(body.InstanceId, out var id)) return OpsErrors.BadRequest($"instanceId must be a GUID (not '{body.InstanceId}').");
        Guid? clusterId = null;
        if (body.ClusterId is not null)
        {
            if (!Guid.TryParse(body.ClusterId, out var cluster)) return OpsErrors.BadRequest($"clusterId must be a GUID (not '{body.ClusterId}').");
            clusterId = cluster;
        }
        var backend = OpsApi.GuestLocation(configuration);
        if (body.GuestLocation is not null && !body.GuestLocation.Equals(backend, StringComparison.OrdinalIgnoreCase))
            return OpsErrors.BadRequest($"guestLocation '{body.GuestLocation}' is not one of this broker's: it places instances on '{backend}'.");
        if (OsbRequest.ObjectOrAbsent(body.Parameters, "parameters") is { } notAnObject) return OpsErrors.BadRequest(notAnObject);

        var service = body.ServiceId is null ? catalog.Services.FirstOrDefault() : catalog.FindService(body.ServiceId);
        if (restore is { } snapshot && service?.Id != snapshot.ServiceId)
            return Results.Json(new OpsError("Unprocessable",
                $"Snapshot {snapshot.SnapshotId} is of service '{snapshot.ServiceId}': it cannot be imported into service '{body.ServiceId}'."),
                statusCode: StatusCodes.Status422UnprocessableEntity);
        if (service is null) return OpsErrors.BadRequest($"Unknown serviceId '{body.ServiceId}'.");
        var shape = clusterId is null ? InstanceShape.Dedicated : InstanceShape.ClusterDatabase;
        var plan = body.PlanId is null ? service.Plans.FirstOrDefault(p => p.Shape == shape) : catalog.FindPlan(service.Id, body.PlanId);
        if (plan is null)
            return OpsErrors.BadRequest(body.PlanId is null
                ? $"Service '{service.Name}' has no {shape} plan: name one with planId."
                : $"Unknown planId '{body.PlanId}' for service '{service.Name}'.");
        if (clusterId is not null && plan.Shape != InstanceShape.ClusterDatabase)
            return OpsErrors.BadRequest($"clusterId puts a database in a cluster: plan '{plan.Name}' makes a {plan.Shape} instance.");
        if (clusterId is null && plan.Shape == InstanceShape.ClusterDatabase)
            return OpsErrors.BadRequest($"Plan '{plan.Name}' makes a database in a cluster: name the cluster with clusterId.");

        var now = clock.GetUtcNow();
        var parameters = Parameters(body.Parameters, clusterId);
        var context = new JsonObject
        {
            ["platform"] = OpsApi.Platform, ["owner_id"] = body.OwnerId, ["owner_type"] = body.OwnerType ?? "user", ["guest_location"] = backend,
        };
        // The owner stands where a platform puts its organization and space: the instance's owner for every reader, and the
        // scope a cluster shares its databases in (a cluster of the same owner takes them).
        var command = new ProvisionServiceInstance(id, Guid.CreateVersion7(), service.Id, plan.Id, body.OwnerId, body.OwnerId,
            parameters, context.ToJsonString(), plan.DiskMb, now, null, plan.MaintenanceInfo?.Version, plan.DeadlineFrom(now), plan.Shape)
        {
            RestoreFromSnapshot = restore?.SnapshotId,
            Cloud = await request.HttpContext.RequestServices.GetRequiredService<CurrentCloudAzs>().ForProvisioning(parameters, ct),
        };
        var validation = await validator.ValidateAsync(command, ct);
        if (!validation.IsValid) return OpsErrors.From(validation);

        var metadata = new EventMetadata(command.OperationId, OriginatingIdentity: OpsApi.OriginatingIdentity(request));
        var decision = await provisioning.Decide(command with { ClusterId = clusterId }, OpsApi.Platform, metadata, ct);
        return Answer(decision, id, restore is null ? Kinds.Of(OperationKind.Provision) : Kinds.Import, $"Service instance {id} is already provisioned.");
    }

    private static async Task<IResult> Deprovision(
        HttpRequest request, ServiceCatalog catalog, ServiceInstanceStore instances, TimeProvider clock, CancellationToken ct)
    {
        var (body, error) = await OsbRequest.ReadBody<DeprovisionJobRequest>(request, ct, OpsApi.Json);
        if (body is null) return OpsErrors.BadRequest(error!);
        if (!Guid.TryParse(body.InstanceId, out var id)) return OpsErrors.BadRequest($"instanceId must be a GUID (not '{body.InstanceId}').");
        Guid? clusterId = null;
        if (body.ClusterId is not null)
        {
            if (!Guid.TryParse(body.ClusterId, out var cluster)) return OpsErrors.BadRequest($"clusterId must be a GUID (not '{body.ClusterId}').");
            clusterId = cluster;
        }

        var now = clock.GetUtcNow();
        var operationId = Guid.CreateVersion7();
        var metadata = new EventMetadata(operationId, OriginatingIdentity: OpsApi.OriginatingIdentity(request));
        // Locked first, as OSB's deprovision is: a cluster's deletion queues behind the attachments of its children.
        var decision = await instances.HandleExclusively(id, state =>
        {
            if (clusterId is not null && state.Exists && state.ClusterId != clusterId)
                return Decision.Reject(DomainErrorCode.Invalid, $"Service instance {id} is not in cluster {clusterId}.");
            var deadline = catalog.FindPlan(state.ServiceId, state.PlanId)?.DeadlineFrom(now);
            return ServiceInstanceDecisions.Decide(state, new DeprovisionServiceInstance(id, operationId, now, deadline));
        }, metadata, ct);
        return Answer(decision, id, Kinds.Of(OperationKind.Deprovision), $"Service instance {id} is already deprovisioned.");
    }

    private static async Task<IResult> Job(string jobId, OpsJobs jobs, CancellationToken ct)
    {
        if (!Guid.TryParse(jobId, out var id)) return OpsErrors.BadRequest($"jobId must be a GUID (not '{jobId}').");
        return await jobs.Find(id, ct) is { } job ? Results.Json(job, OpsApi.Json) : OpsErrors.NotFound($"There is no job {id}.");
    }

    /// <summary>A request repeated while its job runs gets that job again; once it ended, there is nothing left to do.</summary>
    internal static IResult Answer(Decision decision, Guid instanceId, string kind, string done) => decision switch
    {
        Decision.Accepted a => Results.Json(new JobAccepted(a.OperationId, instanceId, kind), OpsApi.Json, statusCode: StatusCodes.Status202Accepted),
        Decision.AlreadyInProgress p => Results.Json(new JobAccepted(p.OperationId, instanceId, kind), OpsApi.Json, statusCode: StatusCodes.Status202Accepted),
        Decision.AlreadyDone => OpsErrors.From(new DomainError(DomainErrorCode.Conflict, done)),
        Decision.Rejected r => OpsErrors.From(r.Error),
        _ => throw new InvalidOperationException($"Unexpected decision {decision}"),
    };

    /// <summary>The request's parameters, with the cluster the database goes into as the plan's schema names it.</summary>
    private static string? Parameters(JsonElement? given, Guid? clusterId)
    {
        var parameters = given is { ValueKind: JsonValueKind.Object } p ? JsonNode.Parse(p.GetRawText())!.AsObject() : null;
        if (clusterId is null) return parameters?.ToJsonString();
        parameters ??= [];
        parameters[Clusters.ClusterReference.ClusterParameter] = clusterId.Value.ToString();
        return parameters.ToJsonString();
    }

    [GeneratedRegex("^[A-Za-z0-9._@-]{1,100}$")]
    internal static partial Regex OwnerPattern();
}
