using System.Text.Json;

namespace EventSourced.Broker.Ops;

/// <summary>
/// <c>POST /api/v1/ops/provision</c> (camelCase on the wire; unknown fields are ignored). Only the owner and the instance
/// are required: the service defaults to the catalog's first, the plan to that service's first dedicated plan, or its
/// first cluster-database plan when <see cref="ClusterId"/> names a cluster to put the instance's database in.
/// </summary>
/// <param name="GuestLocation">Where the instance runs; this broker has one guest location, its backend (<c>local</c> or <c>simulated</c>).</param>
public sealed record ProvisionJobRequest(
    string? OwnerId, string? InstanceId, string? ServiceId = null, string? PlanId = null, string? ClusterId = null,
    string? GuestLocation = null, string? OwnerType = null, JsonElement? Parameters = null);

/// <summary><c>POST /api/v1/ops/deprovision</c>; a given <see cref="ClusterId"/> must be the cluster the instance lives in.</summary>
public sealed record DeprovisionJobRequest(string? InstanceId, string? ClusterId = null);

/// <summary>The 202 of a job: poll <c>GET /api/v1/ops/jobs/{jobId}</c>.</summary>
public sealed record JobAccepted(Guid JobId, Guid InstanceId, string Kind);
