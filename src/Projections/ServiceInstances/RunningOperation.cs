namespace EventSourced.Projections.ServiceInstances;

/// <summary>An instance operation in progress, as the watchdog sees it.</summary>
/// <param name="AwaitingOutcome">Not timed out yet and not rolling back.</param>
/// <param name="ProgressedAt">When its latest event was recorded.</param>
public sealed record RunningOperation(Guid InstanceId, Guid OperationId, DateTimeOffset DeadlineAt, bool AwaitingOutcome, DateTimeOffset ProgressedAt);
