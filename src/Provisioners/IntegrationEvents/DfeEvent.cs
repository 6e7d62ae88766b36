using System.Text.Json;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using JasperFx.Events;

namespace EventSourced.Provisioners.IntegrationEvents;

/// <summary>
/// The body of an integration event on the <c>dfe</c> topic exchange (routing key = <see cref="Event"/>), in JSON with
/// camelCase names. Documented in the README; outside subscribers depend on it, so fields are only ever added.
/// </summary>
/// <param name="RequestingService">Who asked for the operation the event completes (an OSB platform, the ops API or CLI).</param>
/// <param name="Request">The request that started the operation, as recorded.</param>
public sealed record DfeEvent(
    string Event,
    Guid EventId,
    Guid InstanceId,
    Guid OperationId,
    string ServiceId,
    string PlanId,
    DateTimeOffset OccurredAt,
    DateTimeOffset? InstanceCreatedAt,
    string? ResourceUri,
    DfeRequester? RequestingService = null,
    DfeRequest? Request = null,
    Guid? SnapshotId = null)
{
    public const string Exchange = "dfe";

    /// <summary>The backup an event is about: the one taken (<c>dfe.backed-up</c>) or restored (<c>dfe.restored</c>).</summary>
    public Guid? BackupId { get; init; }

    public static Guid? BackupOf(IDomainEvent e) => e switch
    {
        BackupCompleted b => b.BackupId,
        BackupRestored r => r.BackupId,
        _ => null,
    };

    /// <summary>The integration event name of a domain event, or null when outsiders are not told about it.</summary>
    public static string? NameOf(IDomainEvent e) => e switch
    {
        ServiceInstanceProvisioned => "dfe.provisioned",
        ServiceInstanceDeprovisioned => "dfe.deprovisioned",
        StorageProvisioned => "dfe.storage.provisioned",
        StorageDeprovisioned => "dfe.storage.deprovisioned",
        DatabaseProvisioned => "dfe.database.provisioned",
        DatabaseDeprovisioned => "dfe.database.deprovisioned",
        SnapshotExported => "dfe.exported",
        BackupCompleted => "dfe.backed-up",
        BackupRestored => "dfe.restored",
        _ => null,
    };

    /// <summary>
    /// Every integration event a domain event is told as: its own name, and for snapshots the seed's sub-job events too
    /// (an export also exported the database, when the instance has one: not a Redis server's; an import's database and
    /// instance are also imported ones).
    /// </summary>
    public static IReadOnlyList<string> NamesOf(IDomainEvent e, ServiceInstance instance) => (e, NameOf(e)) switch
    {
        (_, null) => [],
        (SnapshotExported, var name) when instance.Database is not null => [name, "dfe.database.exported"],
        (BackupCompleted, var name) => [name, "dfe.database.backed-up"],
        (BackupRestored, var name) => [name, "dfe.database.restored"],
        (DatabaseProvisioned, var name) when instance.RestoreFromSnapshot is not null => [name, "dfe.database.imported"],
        (ServiceInstanceProvisioned, var name) when instance.RestoreFromSnapshot is not null => [name, "dfe.imported"],
        (_, var name) => [name],
    };

    /// <summary>The snapshot an event is about: the one exported, or the one an imported instance was restored from.</summary>
    public static Guid? SnapshotOf(IDomainEvent e, ServiceInstance instance) => e switch
    {
        SnapshotExported s => s.SnapshotId,
        DatabaseProvisioned or ServiceInstanceProvisioned => instance.RestoreFromSnapshot,
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

/// <summary>
/// Who asked: the platform of the request's originating identity (<c>cloudfoundry</c>, <c>kubernetes</c>, <c>ops</c> for the
/// ops API and CLI, <c>unknown</c> when a platform sent none), its user, and the identity object as the platform sent it.
/// </summary>
public sealed record DfeRequester(string Platform, string? User, JsonElement? Identity)
{
    public static DfeRequester Of(string? originatingIdentity) =>
        OriginatingIdentity.TryParse(originatingIdentity, out var identity)
            ? new DfeRequester(identity!.Platform, identity.UserId, identity.Value)
            : new DfeRequester("unknown", null, null);
}

/// <summary>
/// The request that started an operation, as recorded: its kind (<c>provision</c>, <c>deprovision</c>, <c>update</c>), when,
/// what was asked for (service, plan, owner's organization and space, parameters, context) and the platform's request id.
/// </summary>
public sealed record DfeRequest(
    string Kind, DateTimeOffset RequestedAt, string? ServiceId, string? PlanId, string? OrganizationGuid, string? SpaceGuid,
    JsonElement? Parameters, JsonElement? Context, string? RequestIdentity)
{
    /// <summary>The request event of operation <paramref name="operationId"/> in <paramref name="stream"/>, with who asked; nulls when there is none.</summary>
    public static (DfeRequester? Requester, DfeRequest? Request) Of(IEnumerable<IEvent> stream, Guid operationId)
    {
        foreach (var recorded in stream)
        {
            var request = recorded.Data switch
            {
                ServiceInstanceProvisioningRequested e when e.OperationId == operationId => new DfeRequest(e.RestoreFromSnapshot is null ? "provision" : "import", e.RequestedAt,
                    e.ServiceId, e.PlanId, e.OrganizationGuid, e.SpaceGuid, Json(e.Parameters), Json(e.Context), null),
                ServiceInstanceDeprovisioningRequested e when e.OperationId == operationId =>
                    new DfeRequest("deprovision", e.RequestedAt, null, null, null, null, null, null, null),
                ServiceInstanceUpdateRequested e when e.OperationId == operationId =>
                    new DfeRequest("update", e.RequestedAt, null, e.PlanId, null, null, Json(e.Parameters), null, null),
                SnapshotExportRequested e when e.OperationId == operationId => new DfeRequest("export", e.RequestedAt, null, null, null, null,
                    JsonSerializer.SerializeToElement(new { snapshotId = e.SnapshotId, destination = e.Destination, expiresAt = e.ExpiresAt }), null, null),
                BackupStarted e when e.OperationId == operationId => new DfeRequest("backup", e.StartedAt, null, null, null, null,
                    JsonSerializer.SerializeToElement(new { backupId = e.BackupId, scheduledFor = e.ScheduledFor }), null, null),
                BackupRestoreRequested e when e.OperationId == operationId => new DfeRequest("restore", e.RequestedAt, null, null, null, null,
                    JsonSerializer.SerializeToElement(new { backupId = e.BackupId }), null, null),
                _ => null,
            };
            if (request is null) continue;
            var metadata = EventMetadata.Of(recorded);
            return (DfeRequester.Of(metadata.OriginatingIdentity), request with { RequestIdentity = metadata.RequestIdentity });
        }
        return (null, null);
    }

    private static JsonElement? Json(string? text) => text is null ? null : JsonDocument.Parse(text).RootElement.Clone();
}
