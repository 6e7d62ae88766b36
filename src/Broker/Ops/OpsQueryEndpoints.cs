using System.Reflection;
using EventSourced.Broker.Hosting;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.ServiceInstances;

namespace EventSourced.Broker.Ops;

/// <summary>An instance as the ops API lists it; <see cref="OwnerId"/> is the ops owner, or the OSB platform's organization.</summary>
public sealed record OpsInstance(
    Guid InstanceId, string Status, string OwnerId, string ServiceId, string PlanId, string Shape, Guid? ClusterId, string? Host, int? Port,
    string? Database, Guid? LastJobId, string? LastJobKind, string? LastJobState, DateTimeOffset? CreatedAt);

/// <summary>What the catalog offers, per service: the provisioner's name and its offerings (the plans).</summary>
public sealed record OpsProvisioner(string Name, string ServiceId, string Description, IReadOnlyList<OpsOffering> Offerings);

public sealed record OpsOffering(string PlanId, string Name, string Description, string Shape, int DiskMb);

/// <summary>The broker as operators see it at a glance.</summary>
public sealed record OpsStatus(
    string Version, string Roles, string GuestLocation, IReadOnlyDictionary<string, long> InstancesByStatus, long JobsInProgress);

/// <summary>The ops API's reads: instances, provisioners (from the catalog, so they follow its configuration), status.</summary>
public static class OpsQueryEndpoints
{
    private const int MaxInstances = 1000;

    public static RouteGroupBuilder MapOpsQueries(this RouteGroupBuilder ops)
    {
        ops.MapGet("/instances", Instances).Produces<IReadOnlyList<OpsInstance>>().Produces<OpsError>(400).Produces<OpsError>(401);
        ops.MapGet("/provisioners", Provisioners).Produces<IReadOnlyList<OpsProvisioner>>().Produces<OpsError>(401);
        ops.MapGet("/status", Status).Produces<OpsStatus>().Produces<OpsError>(401);
        return ops;
    }

    /// <param name="ownerId">Only this owner's instances.</param>
    /// <param name="limit">At most this many (1 to 1000, default 1000), oldest first.</param>
    private static async Task<IResult> Instances(string? ownerId, string? limit, LastOperations lastOperations, CancellationToken ct)
    {
        var count = MaxInstances;
        if (limit is not null && (!int.TryParse(limit, out count) || count is < 1 or > MaxInstances))
            return OpsErrors.BadRequest($"limit must be a whole number from 1 to {MaxInstances} (not '{limit}').");
        var instances = await lastOperations.List(ownerId, count, ct);
        return Results.Json(instances.Select(i => new OpsInstance(i.Id, i.Status.ToString(), i.OrganizationGuid, i.ServiceId, i.PlanId,
            i.Shape.ToString(), i.ClusterId, i.Server?.Host, i.Server?.Port, i.Database?.Database, i.LastOperation?.Id,
            i.LastOperation is { } op ? Kinds.Of(op.Kind) : null, i.LastOperation is { } last ? OperationStates.Osb(last.State) : null,
            i.CreatedAt)).ToList(), OpsApi.Json);
    }

    private static IResult Provisioners(ServiceCatalog catalog) =>
        Results.Json(catalog.Services.Select(s => new OpsProvisioner(s.Name, s.Id, s.Description,
            s.Plans.Select(p => new OpsOffering(p.Id, p.Name, p.Description, p.Shape.ToString(), p.DiskMb)).ToList())).ToList(), OpsApi.Json);

    private static async Task<IResult> Status(LastOperations lastOperations, BrokerRoles roles, IConfiguration configuration, CancellationToken ct)
    {
        var (byStatus, inProgress) = await lastOperations.Count(ct);
        var version = typeof(OpsApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        return Results.Json(new OpsStatus(version, roles.ToString(),
            OpsApi.GuestLocation(configuration), byStatus, inProgress), OpsApi.Json);
    }
}
