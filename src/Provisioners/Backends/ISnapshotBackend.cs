namespace EventSourced.Provisioners.Backends;

/// <summary>
/// Dumps and restores the data of an instance, for exports and imports (snapshots). One per instance implementation, marked
/// with that implementation's <see cref="SubProvisionerImplementationAttribute"/> name: the provisioner stanza that picks the
/// server (<c>Provides:Instance</c>) picks its snapshots too, and the snapshot pipeline itself knows no software.
/// </summary>
public interface ISnapshotBackend
{
    /// <summary>The software whose data this backend dumps (named in the snapshot's manifest), e.g. <c>postgresql</c>, <c>redis</c>.</summary>
    string Software { get; }

    /// <summary>The archive member the data is written to and restored from, e.g. <c>database.dump</c>, <c>dump.rdb</c>.</summary>
    string Member { get; }

    /// <summary>Writes the data of <paramref name="target"/> into <paramref name="file"/> and answers the server's version.</summary>
    Task<string> Dump(SnapshotTarget target, string file, CancellationToken ct);

    /// <summary>
    /// Restores <paramref name="file"/> (a <see cref="Dump"/>) into <paramref name="target"/>, a new instance's.
    /// Idempotent: what an earlier run restored is replaced.
    /// </summary>
    Task Restore(SnapshotTarget target, string file, CancellationToken ct);
}

/// <summary>
/// What a snapshot is of: the instance whose server holds the data (a cluster's, for a database in a cluster) and, for a
/// provisioner with a database step, the database and the role that owns it (null for one without, as Redis: the whole
/// server's dataset).
/// </summary>
public sealed record SnapshotTarget(Guid ServerInstanceId, string? Database, string? Owner);
