using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.ServiceInstances;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Watchdog;

public sealed class OperationWatchdogOptions
{
    public const string Section = "Provisioners";

    /// <summary>
    /// How long an operation may stay in progress before it is failed (and a provisioning rolled back), unless its plan
    /// sets a maximum polling duration.
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan WatchdogInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// The saga's timeout, kept durable without a message scheduler: overdue operations are found in the last-operation read
/// model and a timeout is recorded in the instance's stream, which the saga then reacts to like any other event.
/// </summary>
public sealed class OperationWatchdog(
    LastOperations lastOperations, ServiceInstanceStore instances, IOptions<OperationWatchdogOptions> options,
    TimeProvider clock, ILogger<OperationWatchdog> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.WatchdogInterval, clock);
        do
        {
            try
            {
                await TimeOutOverdueOperations(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Operation watchdog pass failed; retrying next interval");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task TimeOutOverdueOperations(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        foreach (var (instanceId, operationId) in await lastOperations.FindOverdue(now, options.Value.OperationTimeout, ct))
        {
            var outcome = new ServiceInstanceOperationTimedOut(instanceId, operationId, now);
            var decision = await instances.Handle(instanceId,
                state => ServiceInstanceDecisions.Decide(state, new RecordOperationOutcome(operationId, outcome)),
                new EventMetadata(operationId), ct: ct);
            if (decision is Decision.Accepted) log.LogWarning("Operation {OperationId} of instance {InstanceId} timed out", operationId, instanceId);
        }
    }
}
