using EventSourced.Commands.Catalog;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.Fleet;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Periodic;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Fleet;

/// <summary>
/// Drives the fleet run in progress, on every worker node: each pass reads the run from its stream, reads how the
/// instances it is updating stand (their own streams), records what ended and what starts next (one decision, at the
/// stream's version: two workers never both start an instance), then asks each started instance for its update.
/// Nothing lives in memory between passes, so a worker killed anywhere leaves a run the next pass (on any node) goes on
/// with: an instance recorded as started whose update was never asked for is asked again, with the same operation id,
/// and an instance whose stream already holds that operation is never asked twice.
/// </summary>
public sealed class FleetRunner(
    FleetStore fleet, ServiceInstanceStore instances, ServiceCatalog catalog, IOptions<FleetRunnerOptions> options, TimeProvider clock,
    ILogger<FleetRunner> log) : PeriodicPass(options.Value.Interval, clock, log, "Fleet runner pass")
{
    public override async Task Pass(CancellationToken ct)
    {
        if ((await fleet.Load(ct)).Active is not { } run) return;
        List<FleetObservation> seen = [];
        foreach (var updating in run.Instances.Where(i => i.State == FleetInstanceState.Updating))
            if (await Update(run, updating.Target, updating.OperationId!.Value, ct) is { } ended) seen.Add(ended);

        var decision = await fleet.Advance(new AdvanceFleetRun(run.RunId, seen, Guid.CreateVersion7, Clock.GetUtcNow()),
            new EventMetadata(run.RunId, OriginatingIdentity: run.RequestedBy), ct);
        if (decision is not Decision.Accepted accepted) return;
        foreach (var finished in accepted.Events.OfType<FleetRunFinished>())
            log.LogInformation("Fleet run {RunId} finished: {Description}", finished.RunId, finished.Description);
        foreach (var started in accepted.Events.OfType<FleetInstanceStarted>())
            if (run.Instance(started.InstanceId) is { } next) await Update(run, next.Target, started.OperationId, ct);
    }

    /// <summary>
    /// Asks for the instance's update as <paramref name="operationId"/> unless its stream already has that operation, and
    /// says how it ended once it did; null while it runs (or while another operation of the instance keeps it busy).
    /// </summary>
    private async Task<FleetObservation?> Update(FleetRun run, FleetTarget target, Guid operationId, CancellationToken ct)
    {
        Operation? recorded = null;
        var plan = catalog.FindPlan(target.ServiceId, target.PlanId);
        var now = Clock.GetUtcNow();
        var decision = await instances.Handle(target.InstanceId, state =>
            {
                recorded = state.Operations.FirstOrDefault(o => o.Id == operationId);
                if (recorded is not null) return new Decision.AlreadyDone();
                if (state.PlanId != target.PlanId)
                    return Decision.Reject(DomainErrorCode.Conflict, $"its plan changed to {state.PlanId} since the run began");
                var recreate = run.Kind == FleetRunKind.RecreateAll;
                return ServiceInstanceDecisions.Decide(state, new UpdateServiceInstance(target.InstanceId, operationId, null, null, null,
                    recreate ? null : target.ToVersion, 0, (from, to) => from == to, now, plan?.DeadlineFrom(now), Recreate: recreate));
            },
            new EventMetadata(operationId, CausationId: run.RunId, OriginatingIdentity: run.RequestedBy), ct: ct);

        if (recorded is { InProgress: true }) return null;
        if (recorded is not null)
            return new FleetObservation(target.InstanceId, operationId,
                recorded.State == OperationState.Succeeded ? FleetInstanceResult.Succeeded : FleetInstanceResult.Failed, recorded.Description);
        return decision switch
        {
            Decision.Accepted => null,
            Decision.AlreadyDone => new FleetObservation(target.InstanceId, operationId, FleetInstanceResult.Succeeded,
                $"Already at release {target.ToVersion}."),
            Decision.Rejected { Error.Code: DomainErrorCode.ConcurrencyError } => null, // busy with another operation: asked again next pass
            Decision.Rejected r => new FleetObservation(target.InstanceId, operationId, FleetInstanceResult.Skipped, $"Skipped: {r.Error.Description}"),
            _ => null,
        };
    }
}
