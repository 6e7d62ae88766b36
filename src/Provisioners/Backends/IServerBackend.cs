namespace EventSourced.Provisioners.Backends;

public sealed record ServerEndpoint(string Host, int Port);

/// <summary>The "VM" of a service instance: a PostgreSQL server process using the instance's storage.</summary>
public interface IServerBackend
{
    /// <summary>Initialises the cluster on first use and starts it; idempotent: a running server returns the same endpoint.</summary>
    Task<ServerEndpoint> Provision(Guid instanceId, CancellationToken ct);

    /// <summary>Stops the process (fast shutdown) and waits until it is gone; the storage stays. Idempotent.</summary>
    Task Deprovision(Guid instanceId, CancellationToken ct);

    Task<bool> IsRunning(Guid instanceId, CancellationToken ct);

    /// <summary>Reconciler at start: restarts every provisioned server whose process died; returns how many.</summary>
    Task<int> ResurrectStopped(CancellationToken ct);
}
