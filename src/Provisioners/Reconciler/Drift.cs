using System.Text.Json.Serialization;

namespace EventSourced.Provisioners.Reconciler;

/// <summary>How the local backend differs from what the log says it holds.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DriftKind>))]
public enum DriftKind
{
    /// <summary>An instance folder (data directory) that no instance in the log owns: not created for it, or never removed.</summary>
    LeakedDataDirectory,

    /// <summary>A postmaster runs where the log says no server does.</summary>
    LeakedServer,

    /// <summary>The log says the instance has storage (or a server) there, but its folder or cluster is not there.</summary>
    MissingDataDirectory,

    /// <summary>The log says the instance's server runs, but no postmaster answers for it.</summary>
    MissingServer,

    /// <summary>The server's port in the log is not the one the backend recorded or the postmaster listens on.</summary>
    PortMismatch,
}

public sealed record Drift(DriftKind Kind, Guid InstanceId, string Description);

/// <summary>
/// One comparison of the backend with the log, on one node. Reported only: nothing is deleted or started because of it
/// (the resurrector restarts dead servers of its own accord).
/// </summary>
public sealed record DriftReport(DateTimeOffset CheckedAt, string DataRoot, int InstancesCompared, int SkippedInProgress, IReadOnlyList<Drift> Drifts);
