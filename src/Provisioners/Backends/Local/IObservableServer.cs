namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// A local server implementation the drift check can look into: what it holds of an instance (folder, data, recorded port,
/// live process and whether it answers), and how the report names its process and its data.
/// </summary>
public interface IObservableServer
{
    /// <summary>The server's process as drift descriptions name it, e.g. <c>postmaster</c>, <c>redis-server</c>.</summary>
    string ProcessName { get; }

    /// <summary>The server's data as drift descriptions name it, e.g. <c>cluster (pgdata)</c>.</summary>
    string DataName { get; }

    /// <summary>What this backend holds of an instance (null: no folder), for comparing with the log.</summary>
    Task<LocalServerObservation?> Observe(Guid instanceId, CancellationToken ct);
}
