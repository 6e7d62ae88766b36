using System.Globalization;
using EventSourced.Broker.Dashboard;
using EventSourced.Broker.ServiceInstances;
using EventSourced.Broker.Osb;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Snapshots;
using FluentValidation;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.Ops;

/// <summary>
/// Export and import jobs and the snapshots they make: an export is an operation of the instance (nothing else of it runs
/// meanwhile), an import a provisioning restored from a snapshot whose archive was verified before anything was recorded.
/// A snapshot's archive is downloaded by a signed link that expires, without ops credentials.
/// </summary>
public static class OpsSnapshotEndpoints
{
    public const string ArchiveSuffix = "/archive";

    public static RouteGroupBuilder MapOpsSnapshots(this RouteGroupBuilder ops)
    {
        ops.MapPost("/export", Export).Accepts<ExportJobRequest>("application/json")
            .Produces<ExportAccepted>(StatusCodes.Status202Accepted).ProducesErrors(400, 401, 404, 409, 413, 422);
        ops.MapPost("/import", Import).Accepts<ImportJobRequest>("application/json")
            .Produces<JobAccepted>(StatusCodes.Status202Accepted).ProducesErrors(400, 401, 404, 409, 413, 422);
        ops.MapGet("/snapshots/{snapshotId}", Snapshot).Produces<SnapshotView>().ProducesErrors(400, 401, 404);
        ops.MapGet("/snapshots/{snapshotId}" + ArchiveSuffix, Archive).AllowAnonymous()
            .Produces(StatusCodes.Status200OK, contentType: "application/gzip").ProducesErrors(403, 404, 410);
        return ops;
    }

    private static async Task<IResult> Export(
        HttpRequest request, ServiceInstanceStore instances, ServiceCatalog catalog, IOptions<SnapshotOptions> options, TimeProvider clock,
        CancellationToken ct)
    {
        var (body, error) = await OsbRequest.ReadBody<ExportJobRequest>(request, ct, OpsApi.Json);
        if (body is null) return OpsErrors.BadRequest(error!);
        if (!Guid.TryParse(body.InstanceId, out var id)) return OpsErrors.BadRequest($"instanceId must be a GUID (not '{body.InstanceId}').");
        if (body.Destination is not null && !SnapshotArchive.IsValidDestination(body.Destination))
            return OpsErrors.BadRequest($"destination must be one folder name of 1 to 64 letters, digits or . _ - (not starting with '.'), not '{body.Destination}'.");
        var settings = options.Value;
        var days = body.DaysToKeep ?? settings.DaysToKeep;
        if (days < 1 || days > settings.MaxDaysToKeep)
            return OpsErrors.BadRequest($"daysToKeep must be a whole number from 1 to {settings.MaxDaysToKeep} (not {days}).");

        var now = clock.GetUtcNow();
        var (operationId, snapshotId) = (Guid.CreateVersion7(), Guid.NewGuid());
        var metadata = new EventMetadata(operationId, OriginatingIdentity: OpsApi.OriginatingIdentity(request));
        var decision = await instances.Handle(id, state =>
        {
            var deadline = catalog.FindPlan(state.ServiceId, state.PlanId)?.DeadlineFrom(now);
            return ServiceInstanceDecisions.Decide(state, new ExportServiceInstance(id, operationId, snapshotId, body.Destination, now.AddDays(days), now, deadline));
        }, metadata, ct: ct);
        return decision switch
        {
            Decision.Accepted a => Results.Json(new ExportAccepted(a.OperationId, id, Kinds.Of(OperationKind.Export), snapshotId), OpsApi.Json,
                statusCode: StatusCodes.Status202Accepted),
            Decision.Rejected r => OpsErrors.From(r.Error),
            _ => throw new InvalidOperationException($"Unexpected decision {decision}"),
        };
    }

    private static async Task<IResult> Import(
        HttpRequest request, ServiceCatalog catalog, IValidator<ProvisionServiceInstance> validator, InstanceProvisioning provisioning,
        IConfiguration configuration, TimeProvider clock, SnapshotVerification verification, CancellationToken ct)
    {
        var (body, error) = await OsbRequest.ReadBody<ImportJobRequest>(request, ct, OpsApi.Json);
        if (body is null) return OpsErrors.BadRequest(error!);
        if (!Guid.TryParse(body.SnapshotId, out var snapshotId)) return OpsErrors.BadRequest($"snapshotId must be a GUID (not '{body.SnapshotId}').");
        var check = await verification.Check(snapshotId, ct);
        if (check.Refusal is { } refused) return OpsErrors.From(refused);
        var source = check.Manifest!;
        var plan = body.PlanId ?? (body.ClusterId is null && catalog.FindPlan(source.ServiceId, source.PlanId) is not null ? source.PlanId : null);
        var provision = new ProvisionJobRequest(body.OwnerId, body.InstanceId, body.ServiceId ?? source.ServiceId, plan, body.ClusterId, body.GuestLocation,
            body.OwnerType, body.Parameters);
        return await OpsJobEndpoints.StartProvisioning(request, provision, (snapshotId, source.ServiceId, source.PlanId), catalog, validator, provisioning,
            configuration, clock, ct);
    }

    private static async Task<IResult> Snapshot(
        string snapshotId, SnapshotCatalog snapshots, SnapshotLinks links, ServiceInstanceStore instances, CancellationToken ct)
    {
        if (!Guid.TryParse(snapshotId, out var id)) return OpsErrors.BadRequest($"snapshotId must be a GUID (not '{snapshotId}').");
        if (await snapshots.Find(id, ct) is not { } snapshot) return OpsErrors.NotFound($"There is no snapshot {id}.");
        var (source, _) = await instances.Load(snapshot.InstanceId, ct);
        var available = snapshot.RemovedAt is null && File.Exists(snapshot.Path);
        (string? Url, DateTimeOffset? ExpiresAt) link = available ? links.For(id) : (null, null);
        var (url, expiresAt) = link;
        return Results.Json(new SnapshotView(id, snapshot.InstanceId, snapshot.JobId, source.ServiceId, source.PlanId, snapshot.SizeBytes, snapshot.Sha256,
            snapshot.SoftwareVersion, snapshot.ExportedAt, snapshot.ExpiresAt, snapshot.RemovedAt, available, url, expiresAt), OpsApi.Json);
    }

    /// <summary>The archive, to whoever holds a valid link: an altered or expired link is refused (403) before anything is looked up.</summary>
    private static async Task<IResult> Archive(
        string snapshotId, string? expires, string? sig, SnapshotLinks links, SnapshotCatalog snapshots, SnapshotPaths paths, TimeProvider clock,
        CancellationToken ct)
    {
        var check = Guid.TryParse(snapshotId, out var id) ? links.Signer.Check(id, expires, sig, clock.GetUtcNow()) : LinkCheck.Invalid;
        if (check == LinkCheck.Expired)
            return Results.Json(new OpsError("Forbidden", "This download link has expired: GET the snapshot again for a fresh one."), statusCode: 403);
        if (check != LinkCheck.Valid)
            return Results.Json(new OpsError("Forbidden", "This download link is not valid: it was altered, cut short or not made by this broker."), statusCode: 403);
        if (await snapshots.Find(id, ct) is not { } snapshot || !paths.Holds(snapshot.Path)) return OpsErrors.NotFound($"There is no snapshot {id}.");
        if (snapshot.RemovedAt is not null || !File.Exists(snapshot.Path))
            return Results.Json(new OpsError("Gone", $"Snapshot {id} expired and was removed."), statusCode: StatusCodes.Status410Gone);
        return Results.File(snapshot.Path, "application/gzip", $"snapshot-{id:D}{SnapshotArchive.Extension}");
    }

}

/// <summary>Signed, expiring download links of snapshot archives: the dashboard's signature scheme, under a key of their own.</summary>
public sealed class SnapshotLinks(DashboardLinkSigner signer, IOptions<SnapshotOptions> options, TimeProvider clock)
{
    /// <summary>The HKDF purpose of the key derived from <c>Secrets:Key</c>: a dashboard link's signature opens no archive.</summary>
    public const string KeyPurpose = "snapshot-links";

    public DashboardLinkSigner Signer { get; } = signer;

    /// <summary>The archive's path with its signature, and when it stops working.</summary>
    public (string Url, DateTimeOffset ExpiresAt) For(Guid snapshotId)
    {
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(clock.GetUtcNow().Add(options.Value.LinkLifetime).ToUnixTimeSeconds());
        var seconds = expiresAt.ToUnixTimeSeconds();
        return (string.Create(CultureInfo.InvariantCulture,
            $"{OpsApi.Prefix}/ops/snapshots/{snapshotId:D}{OpsSnapshotEndpoints.ArchiveSuffix}?expires={seconds}&sig={Signer.Sign(snapshotId, seconds)}"), expiresAt);
    }
}
