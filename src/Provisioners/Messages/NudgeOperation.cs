namespace EventSourced.Provisioners.Messages;

/// <summary>
/// From the watchdog: the operation has made no progress for a while (its step's command may have gone to an error
/// queue, or its node died mid-step): the saga sends the step it waits on again, as a new attempt.
/// </summary>
public sealed record NudgeOperation(Guid OperationId);
