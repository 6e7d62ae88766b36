using EventSourced.Broker.Osb;
using EventSourced.Commands.Catalog;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.Fleet;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.ServiceInstances;

namespace EventSourced.Broker.Ops;

/// <summary>The options of a fleet run (upgrade-all, recreate-all).</summary>
/// <param name="Canaries">Instances updated first, alone (default 1): if one fails, the run stops with the rest untouched.</param>
/// <param name="MaxInFlight">Instances updating at once after the canaries (default 1).</param>
public sealed record FleetRunRequest(int? Canaries = null, int? MaxInFlight = null);

public sealed record FleetRunAccepted(Guid RunId, int Instances, IReadOnlyList<Guid> Canaries);

public sealed record FleetRunInstanceView(
    Guid InstanceId, bool Canary, string State, string? FromVersion, string ToVersion, Guid? OperationId, string? Description,
    DateTimeOffset? StartedAt, DateTimeOffset? EndedAt);

public sealed record FleetRunView(
    Guid RunId, string Kind, string State, bool Finished, string Description, int Canaries, int MaxInFlight, DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt, IReadOnlyList<FleetRunInstanceView> Instances)
{
    public static FleetRunView Of(FleetRun run) => new(run.RunId, OpsFleetEndpoints.NameOf(run.Kind),
        run.Succeeded switch { null => OperationStates.InProgress, true => OperationStates.Succeeded, false => OperationStates.Failed },
        run.Finished, run.Description ?? run.Progress, run.Canaries, run.MaxInFlight, run.StartedAt, run.FinishedAt,
        run.Instances.Select(i => new FleetRunInstanceView(i.InstanceId, i.Canary, i.State.ToString().ToLowerInvariant(), i.Target.FromVersion,
            i.Target.ToVersion, i.OperationId, i.Description, i.StartedAt, i.EndedAt)).ToList());
}

/// <summary>
/// Fleet operations (on-demand-service-broker's errands): <c>upgrade-all</c> updates every instance whose plan names a newer
/// release (maintenance_info) than it runs, <c>recreate-all</c> recreates the VMs of every instance with a server of its own,
/// canaries first; the run is events on the stream <c>fleet</c>, driven by the
/// workers' <c>FleetRunner</c>, and read back here.
/// </summary>
public static class OpsFleetEndpoints
{
    private const int MaxListed = 50;
    private const int MaxInstances = 1_000_000;

    public static RouteGroupBuilder MapOpsFleet(this RouteGroupBuilder ops)
    {
        ops.MapPost("/upgrade-all", (HttpRequest request, FleetStore fleet, LastOperations lastOperations, ServiceCatalog catalog, TimeProvider clock,
                CancellationToken ct) => Start(FleetRunKind.UpgradeAll, request, fleet, lastOperations, catalog, clock, ct))
            .Accepts<FleetRunRequest>("application/json").Produces<FleetRunAccepted>(StatusCodes.Status202Accepted).ProducesErrors(400, 401, 409, 413);
        ops.MapPost("/recreate-all", (HttpRequest request, FleetStore fleet, LastOperations lastOperations, ServiceCatalog catalog, TimeProvider clock,
                CancellationToken ct) => Start(FleetRunKind.RecreateAll, request, fleet, lastOperations, catalog, clock, ct))
            .Accepts<FleetRunRequest>("application/json").Produces<FleetRunAccepted>(StatusCodes.Status202Accepted).ProducesErrors(400, 401, 409, 413);
        ops.MapGet("/fleet-runs", Runs).Produces<IReadOnlyList<FleetRunView>>().ProducesErrors(401);
        ops.MapGet("/fleet-runs/{runId}", Run).Produces<FleetRunView>().ProducesErrors(400, 401, 404);
        return ops;
    }

    public static string NameOf(FleetRunKind kind) => kind switch
    {
        FleetRunKind.RecreateAll => "recreate-all",
        _ => "upgrade-all",
    };

    /// <summary>The targets: for an upgrade, instances behind their plan's release; for a recreate, every instance with a server of its own.</summary>
    private static async Task<IResult> Start(FleetRunKind kind,
        HttpRequest request, FleetStore fleet, LastOperations lastOperations, ServiceCatalog catalog, TimeProvider clock, CancellationToken ct)
    {
        var (body, error) = await OsbRequest.ReadBody<FleetRunRequest>(request, ct, OpsApi.Json);
        if (body is null) return OpsErrors.BadRequest(error!);
        var provisioned = (await lastOperations.List(null, MaxInstances, ct)).Where(i => i.Status == InstanceStatus.Provisioned);
        var targets = kind == FleetRunKind.RecreateAll
            ? provisioned.Where(i => i.Shape != InstanceShape.ClusterDatabase)
                .Select(i => new FleetTarget(i.Id, i.ServiceId, i.PlanId, i.MaintenanceVersion, i.MaintenanceVersion ?? "")).ToList()
            : provisioned.Select(i => (Instance: i, Release: catalog.FindPlan(i.ServiceId, i.PlanId)?.MaintenanceInfo?.Version))
                .Where(x => x.Release is not null && x.Release != x.Instance.MaintenanceVersion)
                .Select(x => new FleetTarget(x.Instance.Id, x.Instance.ServiceId, x.Instance.PlanId, x.Instance.MaintenanceVersion, x.Release!))
                .ToList();
        var runId = Guid.CreateVersion7();
        var command = new StartFleetRun(runId, kind, targets, body.Canaries ?? 1, body.MaxInFlight ?? 1,
            OpsApi.OriginatingIdentity(request), clock.GetUtcNow());
        return await fleet.Start(command, new EventMetadata(runId, OriginatingIdentity: command.RequestedBy), ct) switch
        {
            Decision.Accepted => Results.Json(new FleetRunAccepted(runId, targets.Count,
                targets.Take(Math.Min(command.Canaries, targets.Count)).Select(t => t.InstanceId).ToList()), statusCode: 202),
            Decision.Rejected r => OpsErrors.From(r.Error),
            var other => throw new InvalidOperationException($"Unexpected decision {other}"),
        };
    }

    private static async Task<IResult> Runs(FleetStore fleet, CancellationToken ct) =>
        Results.Json((await fleet.Load(ct)).Runs.Reverse().Take(MaxListed).Select(FleetRunView.Of).ToList());

    private static async Task<IResult> Run(string runId, FleetStore fleet, CancellationToken ct)
    {
        if (!Guid.TryParse(runId, out var id)) return OpsErrors.BadRequest($"runId must be a GUID (not '{runId}').");
        return (await fleet.Load(ct)).Find(id) is { } run
            ? Results.Json(FleetRunView.Of(run))
            : OpsErrors.NotFound($"No fleet run {id}.");
    }
}
