namespace EventSourced.Provisioners.Backends;

/// <summary>A server process the resurrector can check and start again on its recorded port (the local backend's servers).</summary>
public interface IRestartableServer
{
    /// <summary>Why the instance's server does not answer on <paramref name="port"/>, or null when it does.</summary>
    Task<string?> WhyNotAnswering(Guid instanceId, int port, CancellationToken ct);

    /// <summary>Starts the recorded server again with its settings unless it runs (then false); a server it cannot start is a <see cref="BackendException"/>.</summary>
    Task<bool> Restart(Guid instanceId, int port, CancellationToken ct);
}
