using EventSourced.Commands.Catalog;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Provisioners.Backends;

/// <summary>
/// The implementation of each step for an instance: the one its service's provisioner stanza names (a keyed service);
/// the unkeyed registration (PostgreSQL's) when no stanza is configured at all (a host wired by hand, as tests do).
/// </summary>
public sealed class ProvisionerBackends(IServiceProvider services)
{
    private ServiceCatalog? Catalog => services.GetService<ServiceCatalog>();

    public IStorageBackend StorageOf(string serviceId) => Resolve<IStorageBackend>(Catalog?.ProvisionerOf(serviceId)?.Definition.Provides.Storage);

    public IServerBackend ServerOf(string serviceId) => Resolve<IServerBackend>(Catalog?.ProvisionerOf(serviceId)?.Definition.Provides.Instance);

    public IDatabaseBackend DatabaseOf(string serviceId) =>
        Catalog?.ProvisionerOf(serviceId)?.Definition.Provides is { } provides
            ? provides.HasDatabase
                ? services.GetRequiredKeyedService<IDatabaseBackend>(provides.Database)
                : throw new BackendException($"the provisioner of service {serviceId} has no database step")
            : services.GetRequiredService<IDatabaseBackend>();

    /// <summary>Where a binding's user is made: the database step's implementation, or the server's for a provisioner without one.</summary>
    public bool BindsToServer(string serviceId) => Catalog?.ProvisionerOf(serviceId)?.Definition.Provides is { HasDatabase: false };

    /// <summary>Whether the instance's data is a database of its own step (PostgreSQL), not the whole server's (Redis).</summary>
    public bool HasDatabase(string serviceId) => !BindsToServer(serviceId);

    /// <summary>
    /// What exports and imports the instance's data: the snapshot backend named as its instance implementation (the unkeyed
    /// one without stanzas); null when there is none (the simulated backend, an implementation that makes no snapshots).
    /// </summary>
    public ISnapshotBackend? SnapshotsOf(string serviceId) =>
        Catalog?.ProvisionerOf(serviceId)?.Definition.Provides.Instance is { } name && !string.IsNullOrWhiteSpace(name)
            ? services.GetKeyedService<ISnapshotBackend>(name)
            : services.GetService<ISnapshotBackend>();

    public IServerLogins LoginsOf(string serviceId) =>
        ServerOf(serviceId) as IServerLogins
        ?? throw new BackendException($"the server implementation of service {serviceId} makes no logins: its plans cannot be bound");

    /// <summary>Every distinct server implementation the stanzas name (the unkeyed one when none is configured).</summary>
    public IReadOnlyList<IServerBackend> AllServers() =>
        Catalog?.Provisioners is { Count: > 0 } provisioners
            ? provisioners.Select(p => Resolve<IServerBackend>(p.Definition.Provides.Instance)).Distinct().ToList()
            : [services.GetRequiredService<IServerBackend>()];

    private T Resolve<T>(string? name) where T : notnull =>
        string.IsNullOrWhiteSpace(name) ? services.GetRequiredService<T>() : services.GetRequiredKeyedService<T>(name);
}
