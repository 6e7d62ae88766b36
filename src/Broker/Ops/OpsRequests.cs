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

/// <summary>
/// <c>POST /api/v1/ops/export</c>: a snapshot of the instance's data. <see cref="Destination"/> is a folder (one plain name)
/// under the snapshots root; <see cref="DaysToKeep"/> (1 to <c>Snapshots:MaxDaysToKeep</c>) defaults to <c>Snapshots:DaysToKeep</c>.
/// </summary>
public sealed record ExportJobRequest(string? InstanceId, string? Destination = null, int? DaysToKeep = null);

/// <summary>
/// <c>POST /api/v1/ops/import</c>: a new instance, provisioned as <c>provision</c> makes one, restored from the snapshot. The
/// service is the snapshot's; the plan defaults to the snapshot's.
/// </summary>
public sealed record ImportJobRequest(
    string? OwnerId, string? InstanceId, string? SnapshotId, string? ServiceId = null, string? PlanId = null, string? ClusterId = null,
    string? GuestLocation = null, string? OwnerType = null, JsonElement? Parameters = null);

/// <summary>The 202 of an export: the job to poll and the id its snapshot will have.</summary>
public sealed record ExportAccepted(Guid JobId, Guid InstanceId, string Kind, Guid SnapshotId);

/// <summary>
/// A snapshot as <c>GET /api/v1/ops/snapshots/{snapshotId}</c> answers it; <see cref="DownloadUrl"/> (a path on this broker,
/// signed, valid until <see cref="DownloadExpiresAt"/>) serves the archive without credentials while it is available.
/// </summary>
public sealed record SnapshotView(
    Guid SnapshotId, Guid InstanceId, Guid JobId, string ServiceId, string PlanId, long SizeBytes, string Sha256, string SoftwareVersion,
    DateTimeOffset ExportedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RemovedAt, bool Available, string? DownloadUrl, DateTimeOffset? DownloadExpiresAt);
