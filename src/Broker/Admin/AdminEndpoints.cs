using EventSourced.Projections.ServiceInstances;

namespace EventSourced.Broker.Admin;

/// <summary>Operator views: the instance directory and each instance's details.</summary>
public static class AdminEndpoints
{
    public static RouteGroupBuilder MapAdmin(this RouteGroupBuilder admin)
    {
        admin.MapGet("/instances", async (InstanceDirectory directory, CancellationToken ct) => Results.Ok(await directory.List(ct: ct)));
        admin.MapGet("/instances/{instanceId:guid}", async (Guid instanceId, InstanceDirectory directory, CancellationToken ct) =>
            await directory.Find(instanceId, ct) is { } instance ? Results.Ok(instance) : Results.NotFound());
        return admin;
    }
}
