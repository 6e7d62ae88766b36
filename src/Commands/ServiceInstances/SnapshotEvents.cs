using EventSourced.Commands.EventStore;
using EventSourced.Commands.Hosts;

namespace EventSourced.Commands.ServiceInstances;

/// <summary>
/// An export (a snapshot of the instance's data) was asked for: an operation of the instance like an update, so that
/// no update or deprovision runs beside it. Carried out on the instance's host, where its server is.
/// </summary>
/// <param name="Destination">A folder under the snapshots root the archive goes into (one plain name), or null for the root.</param>
/// <param name="ExpiresAt">When the retention sweep removes the snapshot (its days to keep after the request).</param>
public sealed record SnapshotExportRequested(
    Guid InstanceId, Guid OperationId, Guid SnapshotId, string? Destination, DateTimeOffset ExpiresAt, DateTimeOffset RequestedAt,
    DateTimeOffset? DeadlineAt = null, string? Host = null) : IDomainEvent, IRunsOnHost;

/// <summary>The archive is complete in the snapshots root: its path, size and SHA-256 (of the whole archive).</summary>
/// <param name="SoftwareVersion">What the data was dumped from: the software and its version (PostgreSQL's <c>server_version</c>).</param>
/// <param name="Host">The worker host whose snapshots root holds the archive (the one that removes it when it expires).</param>
public sealed record SnapshotExported(
    Guid InstanceId, Guid OperationId, Guid SnapshotId, string Path, long SizeBytes, string Sha256, string SoftwareVersion,
    DateTimeOffset ExpiresAt, DateTimeOffset ExportedAt, string? Host = null) : IDomainEvent;

public sealed record SnapshotExportFailed(Guid InstanceId, Guid OperationId, string Reason, DateTimeOffset FailedAt) : IDomainEvent;

/// <summary>The retention sweep removed the snapshot's archive (its days to keep ran out). Not part of any operation.</summary>
public sealed record SnapshotExpired(Guid InstanceId, Guid SnapshotId, DateTimeOffset RemovedAt) : IDomainEvent;
