namespace EventSourced.Provisioners.Backends;

/// <summary>Dumps and restores a database of an instance's server, for exports and imports (snapshots).</summary>
public interface ISnapshotBackend
{
    /// <summary>The software whose data this backend dumps (named in the snapshot's manifest), e.g. <c>postgresql</c>.</summary>
    string Software { get; }

    /// <summary>Writes the database into <paramref name="file"/> and answers the server's version.</summary>
    Task<string> Dump(Guid serverInstanceId, string database, string file, CancellationToken ct);

    /// <summary>
    /// Restores <paramref name="file"/> (a <see cref="Dump"/>) into the database, its objects owned by <paramref name="owner"/>.
    /// Idempotent: what an earlier run restored is replaced.
    /// </summary>
    Task Restore(Guid serverInstanceId, string database, string owner, string file, CancellationToken ct);
}
