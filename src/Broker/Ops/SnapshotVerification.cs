using EventSourced.Commands.Catalog;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Snapshots;

namespace EventSourced.Broker.Ops;

/// <summary>What an import may restore: the snapshot's manifest, or why not (the refusal's code and words).</summary>
public sealed record SnapshotCheck(SnapshotManifest? Manifest, DomainError? Refusal);

/// <summary>
/// The check an import passes before anything is recorded (ops API and OSB alike): the snapshot exists and was not
/// removed, its archive is whole and unaltered (every member's SHA-256 against the manifest, the whole archive's against
/// the one its export recorded), and this broker offers its
/// service with the provisioner that made it.
/// </summary>
public sealed class SnapshotVerification(SnapshotCatalog snapshots, ServiceCatalog catalog)
{
    public async Task<SnapshotCheck> Check(Guid snapshotId, CancellationToken ct)
    {
        if (await snapshots.Find(snapshotId, ct) is not { } snapshot)
            return Refused(DomainErrorCode.NotFound, $"There is no snapshot {snapshotId}.");
        if (snapshot.RemovedAt is { } removed) return Refused(DomainErrorCode.Unprocessable, $"Snapshot {snapshotId} expired and was removed at {removed:u}.");
        SnapshotManifest manifest;
        try
        {
            // Read through, not unpacked: the api node only checks, the worker that restores unpacks (and checks again).
            manifest = await SnapshotArchive.Verify(snapshot.Path, null, ct);
        }
        catch (SnapshotInvalidException e)
        {
            return Refused(DomainErrorCode.Unprocessable, $"Snapshot {snapshotId} cannot be imported: {e.Message}");
        }
        if (manifest.SnapshotId != snapshotId)
            return Refused(DomainErrorCode.Unprocessable, $"The archive of snapshot {snapshotId} holds snapshot {manifest.SnapshotId}: it was replaced.");
        // The members are checked against the manifest, but nothing checks the manifest itself (its service, provisioner,
        // software): the archive as a whole must be the one the export recorded.
        if (await SnapshotArchive.Sha256Of(snapshot.Path, ct) is var sha256 && !string.Equals(sha256, snapshot.Sha256, StringComparison.OrdinalIgnoreCase))
            return Refused(DomainErrorCode.Unprocessable,
                $"Snapshot {snapshotId} cannot be imported: its archive is not the one exported (SHA-256 {sha256}, recorded {snapshot.Sha256}): it was altered or replaced.");
        if (catalog.FindService(manifest.ServiceId) is not { } service)
            return Refused(DomainErrorCode.Unprocessable, $"Snapshot {snapshotId} is of service '{manifest.ServiceId}', which this broker does not offer.");
        if (catalog.ProvisionerOf(service.Id)?.Name is { } provisioner && manifest.Provisioner is { } made && made != provisioner)
            return Refused(DomainErrorCode.Unprocessable,
                $"Snapshot {snapshotId} was made by provisioner '{made}'; service '{service.Name}' is provisioned by '{provisioner}'.");
        return new SnapshotCheck(manifest, null);
    }

    private static SnapshotCheck Refused(DomainErrorCode code, string description) => new(null, new DomainError(code, description));
}
