using EventSourced.Projections.Deployments;
using EventSourced.Projections.ServiceInstances;
using EventSourced.Provisioners.Deployments;
using EventSourced.Provisioners.Hosts;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.Admin;

/// <summary>An orphaned VM as operators see it: whose, where, how old, and from when its host's sweeper deletes it.</summary>
public sealed record OrphanedVmView(
    Guid InstanceId, string Vm, string? Host, Guid OperationId, DateTimeOffset OrphanedAt, double AgeSeconds, DateTimeOffset DeletedAfter);

/// <summary>
/// <c>GET /admin/orphans</c> (optionally <c>?host=</c>) and <c>GET /admin/orphans/{instanceId}</c>: the VMs deploys orphaned
/// that their host's sweeper has not deleted yet. <c>deletedAfter</c> is the orphaning time plus
/// <c>Provisioners:Deployments:OrphanGracePeriod</c>; the deletion comes at the host's first sweep after it.
/// </summary>
public static class OrphanEndpoints
{
    public static RouteGroupBuilder MapOrphans(this RouteGroupBuilder admin)
    {
        admin.MapGet("/orphans", async (string? host, OrphanedVmDirectory orphans, IOptions<DeploymentOptions> options, TimeProvider clock,
            CancellationToken ct) =>
        {
            if (host is not null && !WorkerHostOptions.IsValidName(host))
                return BadRequest("'host' must be a host name: 1 to 63 lower-case letters, digits and dashes (not at either end).");
            return Results.Ok(Views(await orphans.List(host: host, ct: ct), options.Value, clock));
        });
        admin.MapGet("/orphans/{instanceId}", async (string instanceId, OrphanedVmDirectory orphans, LastOperations instances,
            IOptions<DeploymentOptions> options, TimeProvider clock, CancellationToken ct) =>
        {
            if (!Guid.TryParse(instanceId, out var id)) return BadRequest("The instance id must be a GUID.");
            if (await instances.Find(id, ct) is null)
                return Results.Json(new { error = "NotFound", description = $"Service instance {id} does not exist." }, statusCode: 404);
            return Results.Ok(Views(await orphans.List(instanceId: id, ct: ct), options.Value, clock));
        });
        return admin;
    }

    private static List<OrphanedVmView> Views(IReadOnlyList<OrphanedVmRow> rows, DeploymentOptions options, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return rows.Select(o => new OrphanedVmView(o.InstanceId, o.Vm, o.Host, o.OperationId, o.OrphanedAt,
            Math.Round(Math.Max(0, (now - o.OrphanedAt).TotalSeconds), 1), o.OrphanedAt + options.OrphanGracePeriod)).ToList();
    }

    private static IResult BadRequest(string description) => Results.Json(new { error = "BadRequest", description }, statusCode: 400);
}
