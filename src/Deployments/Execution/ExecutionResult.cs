namespace EventSourced.Deployments.Execution;

/// <summary>Which instance failed, in which step, and why: what a failed deploy's last_operation must say.</summary>
public sealed record ExecutionFailure(string Instance, string Step, string Reason)
{
    public override string ToString() => $"instance {Instance} failed in step '{Step}': {Reason}";
}

/// <summary>The outcome of running a plan. <see cref="Finished"/>: every instance updated; <see cref="Converged"/>:
/// also every orphaned VM deleted. <see cref="Untouched"/>: planned instances the deploy never started (after a
/// failure, everything not yet begun).</summary>
public sealed record ExecutionResult(
    ExecutionFailure? Failure,
    TimeSpan Started,
    TimeSpan Finished,
    TimeSpan Converged,
    IReadOnlyList<string> Completed,
    IReadOnlyList<string> Untouched,
    IReadOnlyDictionary<string, string> Vms,
    IReadOnlyList<string> SweepFailures)
{
    public bool Succeeded => Failure is null;
}

internal sealed class StepFailedException(string instance, string step, Exception inner) : Exception(inner.Message, inner)
{
    public ExecutionFailure Failure { get; } = new(instance, step, inner.Message);
}
