using System.Globalization;
using System.Text.RegularExpressions;
using EventSourced.Projections.Hosts;
using EventSourced.Projections.ServiceInstances;
using EventSourced.Projections.Status;
using EventSourced.Provisioners.Reconciler;
using Marten;

namespace EventSourced.Broker.Admin;

/// <summary>
/// Operator views: the instance directory, each instance's details and history, how far each projection is, the servers the
/// resurrector restarted, how the local backend differs from the log (drift), and the worker hosts.
/// </summary>
public static partial class AdminEndpoints
{
    public static RouteGroupBuilder MapAdmin(this RouteGroupBuilder admin)
    {
        admin.MapGet("/instances", async (InstanceDirectory directory, CancellationToken ct) => Results.Ok(await directory.List(ct: ct)));
        admin.MapGet("/instances/{instanceId:guid}", Instance);
        admin.MapGet("/instances/{instanceId:guid}/history", async (Guid instanceId, InstanceHistory history, CancellationToken ct) =>
            await history.Events(instanceId, ct) is { Count: > 0 } events ? Results.Ok(events) : NotFound(instanceId));
        admin.MapGet("/projections", async (ProjectionStatus status, CancellationToken ct) => Results.Ok(await status.Read(ct)));
        admin.MapGet("/resurrections", async (IDocumentStore store, CancellationToken ct) => Results.Ok(await Resurrections.Latest(store, ct)));
        admin.MapGet("/drift", Drift);
        admin.MapGet("/hosts", async (HostDirectory hosts, CancellationToken ct) => Results.Ok(await hosts.List(ct)));
        return admin;
    }

    /// <summary>Today's details from the directory; with <c>?at=</c> (RFC 3339) or <c>?version=</c>, the instance as it was then.</summary>
    private static async Task<IResult> Instance(
        Guid instanceId, string? at, string? version, InstanceDirectory directory, InstanceHistory history, CancellationToken ct)
    {
        if (at is null && version is null)
            return await directory.Find(instanceId, ct) is { } instance ? Results.Ok(instance) : NotFound(instanceId);
        if (at is not null && version is not null) return BadRequest("Give either 'at' or 'version', not both.");
        DateTimeOffset? time = null;
        long? number = null;
        if (at is not null)
        {
            if (!Rfc3339().IsMatch(at) || !DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
                return BadRequest($"'at' must be an RFC 3339 time with its offset, such as 2026-12-01T12:00:00Z, not '{at}'.");
            time = parsed.ToUniversalTime();
        }
        else
        {
            if (!long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < 1)
                return BadRequest($"'version' must be a stream version (1 or more), not '{version}'.");
            number = parsed;
        }
        return await history.AsOf(instanceId, number, time, ct) is { } state
            ? Results.Ok(state)
            : NotFound(instanceId, at is null ? $" at version {version}" : $" at {at}");
    }

    /// <summary>
    /// Computed now, on this node: only a worker node of the local backend sees the servers' processes and directories.
    /// </summary>
    private static async Task<IResult> Drift(IServiceProvider services, CancellationToken ct) =>
        services.GetService<DriftReconciler>() is { } reconciler
            ? Results.Ok(await reconciler.Check(ct))
            : Results.Json(new
            {
                error = "NotFound",
                description = "Drift is computed on the worker nodes of the local backend (Broker:Roles with worker, Provisioners:Backend=local); this node is not one.",
            }, statusCode: 404);

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();

    private static IResult BadRequest(string description) => Results.Json(new { error = "BadRequest", description }, statusCode: 400);

    private static IResult NotFound(Guid instanceId, string when = "") =>
        Results.Json(new { error = "NotFound", description = $"Service instance {instanceId} did not exist{when}." }, statusCode: 404);
}
