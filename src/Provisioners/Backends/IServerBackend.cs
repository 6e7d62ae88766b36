namespace EventSourced.Provisioners.Backends;

public sealed record ServerEndpoint(string Host, int Port);

/// <summary>The "VM" of a service instance: a server process (PostgreSQL, Redis…) using the instance's storage.</summary>
public interface IServerBackend
{
    /// <summary>
    /// Initialises the cluster on first use and starts it with <paramref name="settings"/> (PostgreSQL settings by name,
    /// see <see cref="ServerSettings"/>); idempotent: a running server returns the same endpoint, reconfigured should the
    /// settings differ.
    /// </summary>
    Task<ServerEndpoint> Provision(Guid instanceId, IReadOnlyDictionary<string, string> settings, CancellationToken ct);

    /// <summary>
    /// Applies the settings to the running server and keeps them for every later start; settings not given return to the
    /// broker's defaults. Restarts the server when a changed setting needs it (pg_settings.context = 'postmaster'), reloads
    /// otherwise, and returns once it answers again. An unknown setting or a value the server refuses is a
    /// <see cref="BackendException"/>, and the server keeps its previous settings. Idempotent.
    /// </summary>
    Task<ServerEndpoint> Reconfigure(Guid instanceId, IReadOnlyDictionary<string, string> settings, CancellationToken ct);

    /// <summary>Stops the process (fast shutdown) and waits until it is gone; the storage stays. Idempotent.</summary>
    Task Deprovision(Guid instanceId, CancellationToken ct);

    Task<bool> IsRunning(Guid instanceId, CancellationToken ct);

    /// <summary>Reconciler at start: restarts every provisioned server whose process died, with its settings; returns how many.</summary>
    Task<int> ResurrectStopped(CancellationToken ct);

    /// <summary>Which of an instance's parameters (JSON, validated by its plan's schema) are settings of this server: PostgreSQL's by default.</summary>
    IReadOnlyDictionary<string, string> SettingsOf(string? parameters) => SubProvisioners.InstanceParameters.ServerSettingsOf(parameters);
}
