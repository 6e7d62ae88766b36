using EventSourced.Commands.Catalog;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Provisioners.IntegrationEvents;

/// <summary>
/// The body of an integration event on the <c>dfe</c> topic exchange (routing key = <see cref="Event"/>), in JSON with
/// camelCase names. Documented in the README; outside subscribers depend on it, so fields are only ever added.
/// </summary>
public sealed record DfeEvent(
    string Event,
    Guid EventId,
    Guid InstanceId,
    Guid OperationId,
    string ServiceId,
    string PlanId,
    DateTimeOffset OccurredAt,
    DateTimeOffset? InstanceCreatedAt,
    string? ResourceUri)
{
    public const string Exchange = "dfe";

    /// <summary>The integration event name of a domain event, or null when outsiders are not told about it.</summary>
    public static string? NameOf(IDomainEvent e) => e switch
    {
        ServiceInstanceProvisioned => "dfe.provisioned",
        ServiceInstanceDeprovisioned => "dfe.deprovisioned",
        StorageProvisioned => "dfe.storage.provisioned",
        StorageDeprovisioned => "dfe.storage.deprovisioned",
        DatabaseProvisioned => "dfe.database.provisioned",
        DatabaseDeprovisioned => "dfe.database.deprovisioned",
        _ => null,
    };

    /// <summary>
    /// Where the resource lives (never with credentials): the directory for storage; for the instance and its database the
    /// endpoint consoles talk to, from its provisioner's <c>ResourceUri</c> template (PostgreSQL's form when the service has
    /// no provisioner stanza).
    /// </summary>
    public static string? ResourceUriOf(IDomainEvent e, ServiceInstance instance, Provisioner? provisioner = null) => e switch
    {
        StorageProvisioned s => new Uri(s.DataDirectory).AbsoluteUri,
        DatabaseProvisioned d when instance.Server is { } server => Endpoint(instance, provisioner, server, d.Database),
        ServiceInstanceProvisioned when instance.Server is { } server && (instance.Database is not null || provisioner is { Definition.Provides.HasDatabase: false }) =>
            Endpoint(instance, provisioner, server, instance.Database?.Database),
        _ => null,
    };

    private static string? Endpoint(ServiceInstance instance, Provisioner? provisioner, ServerInfo server, string? database) =>
        provisioner is null
            ? $"postgresql://{server.Host}:{server.Port}/{database}"
            : provisioner.ResourceUriOf(instance.Id, server.Host, server.Port, database);
}
