using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.ServiceBindings;
using EventSourced.Projections.ServiceInstances;
using EventSourced.Provisioners.Messages;
using EventSourced.Provisioners.Periodic;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Watchdog;

/// <summary>
/// Sees that every instance operation ends, without a message scheduler: operations in progress are found in the
/// last-operation read model. One without progress for a while has its saga nudged (its step is sent again); one past its
/// deadline gets a timeout recorded in its stream, which the saga reacts to like any other event (a provisioning is
/// rolled back); one still running past its deadline and the rollback's grace period is recorded as failed outright. A
/// binding's create or delete still in progress after the operation timeout is recorded as failed (a login its step makes
/// later is dropped again by the step).
/// </summary>
public sealed class OperationWatchdog(
    LastOperations lastOperations, BindingOperations bindingOperations, ServiceInstanceStore instances, ServiceBindingStore bindings,
    StreamStore streams, IBus bus, IOptions<OperationWatchdogOptions> options, TimeProvider clock, ILogger<OperationWatchdog> log)
    : PeriodicPass(options.Value.WatchdogInterval, clock, log, "Operation watchdog pass")
{
    private readonly Dictionary<Guid, DateTimeOffset> _nudgedAt = [];

    public override async Task Pass(CancellationToken ct)
    {
        var (now, settings) = (Clock.GetUtcNow(), options.Value);
        var running = await lastOperations.FindNeedingAttention(now, settings.OperationTimeout, settings.NudgeAfter, ct);
        foreach (var gone in _nudgedAt.Keys.Except(running.Select(o => o.OperationId)).ToList()) _nudgedAt.Remove(gone);
        var quiet = new List<RunningOperation>();
        foreach (var operation in running)
        {
            if (now >= operation.DeadlineAt + settings.RollbackTimeout) await Expire(operation, now, ct);
            else if (now >= operation.DeadlineAt && operation.AwaitingOutcome) await TimeOut(operation, now, ct);
            else quiet.Add(operation);
        }
        foreach (var operation in NudgeSelection.Due(quiet, _nudgedAt, now, settings.NudgeAfter, settings.MaxNudgesPerPass))
            await Nudge(operation, now, ct);
        foreach (var (bindingId, operationId) in await bindingOperations.FindOverdue(now, settings.OperationTimeout, ct))
            await TimeOutBinding(bindingId, operationId, now, ct);
    }

    private async Task TimeOutBinding(Guid bindingId, Guid operationId, DateTimeOffset now, CancellationToken ct)
    {
        const string reason = "The binding operation timed out.";
        var decision = await bindings.Handle(bindingId, binding => binding is { LastOperation: { InProgress: true } current } && current.Id == operationId
                ? ServiceBindingDecisions.Decide(binding, new RecordBindingOutcome(bindingId, operationId, current.Kind == OperationKind.Bind
                    ? new ServiceBindingFailed(binding.InstanceId, bindingId, operationId, reason, now)
                    : new ServiceBindingDeletionFailed(binding.InstanceId, bindingId, operationId, reason, now)))
                : new Decision.AlreadyDone(),
            new EventMetadata(operationId), ct: ct);
        if (decision is Decision.Accepted) log.LogWarning("Binding operation {OperationId} of binding {BindingId} timed out", operationId, bindingId);
    }

    private async Task TimeOut(RunningOperation operation, DateTimeOffset now, CancellationToken ct)
    {
        var timedOut = new ServiceInstanceOperationTimedOut(operation.InstanceId, operation.OperationId, now);
        if (await Record(operation, _ => timedOut, ct) is Decision.Accepted)
            log.LogWarning("Operation {OperationId} of instance {InstanceId} timed out", operation.OperationId, operation.InstanceId);
    }

    private async Task Expire(RunningOperation operation, DateTimeOffset now, CancellationToken ct)
    {
        var reason = $"The operation did not finish by its deadline ({operation.DeadlineAt:u}) nor within the grace period after it; "
            + "what it created may remain until the instance is deleted.";
        if (await Record(operation, kind => OperationOutcomes.Failed(kind, operation.InstanceId, operation.OperationId, reason, now), ct)
            is Decision.Accepted)
            log.LogError("Operation {OperationId} of instance {InstanceId} did not finish by its deadline and grace period: recorded as failed",
                operation.OperationId, operation.InstanceId);
    }

    private async Task Nudge(RunningOperation operation, DateTimeOffset now, CancellationToken ct)
    {
        _nudgedAt[operation.OperationId] = now;
        // The request again first: a saga that never heard it (its event not forwarded) starts now; one that did ignores it.
        var (events, _) = await streams.Read(ServiceInstance.StreamId(operation.InstanceId), ct);
        if (events.LastOrDefault(e => RequestOf(e) == operation.OperationId) is { } request) await bus.Publish(request, request.GetType(), ct);
        await bus.Publish(new NudgeOperation(operation.OperationId), ct);
        log.LogWarning("Operation {OperationId} of instance {InstanceId} made no progress since {ProgressedAt:u}: its step is sent again",
            operation.OperationId, operation.InstanceId, operation.ProgressedAt);
    }

    private Task<Decision> Record(RunningOperation operation, Func<OperationKind, IDomainEvent> outcome, CancellationToken ct) =>
        instances.Handle(operation.InstanceId,
            state => state.LastOperation is { InProgress: true } current && current.Id == operation.OperationId
                ? ServiceInstanceDecisions.Decide(state, new RecordOperationOutcome(operation.OperationId, outcome(current.Kind)))
                : new Decision.AlreadyDone(),
            new EventMetadata(operation.OperationId), ct: ct);

    private static Guid? RequestOf(IDomainEvent e) => e switch
    {
        ServiceInstanceProvisioningRequested r => r.OperationId,
        ServiceInstanceUpdateRequested r => r.OperationId,
        ServiceInstanceDeprovisioningRequested r => r.OperationId,
        // An export has no saga: its request, sent again, is what makes its worker try again.
        SnapshotExportRequested r => r.OperationId,
        BackupStarted r => r.OperationId,
        BackupRestoreRequested r => r.OperationId,
        _ => null,
    };
}
