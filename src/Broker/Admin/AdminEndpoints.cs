using EventSourced.Projections.Daemon;
using EventSourced.Projections.ServiceInstances;

namespace EventSourced.Broker.Admin;

/// <summary>Operator views: the instance directory, each instance's details, and how far each projection is.</summary>
public static class AdminEndpoints
{
    public static RouteGroupBuilder MapAdmin(this RouteGroupBuilder admin)
    {
        admin.MapGet("/instances", async (InstanceDirectory directory, CancellationToken ct) => Results.Ok(await directory.List(ct: ct)));
        admin.MapGet("/instances/{instanceId:guid}", async (Guid instanceId, InstanceDirectory directory, CancellationToken ct) =>
            await directory.Find(instanceId, ct) is { } instance ? Results.Ok(instance) : Results.NotFound());
        admin.MapGet("/projections", async (ProjectionStatus status, CancellationToken ct) => Results.Ok(await status.Read(ct)));
        return admin;
    }
}
