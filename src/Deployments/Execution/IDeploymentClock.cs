namespace EventSourced.Deployments.Execution;

/// <summary>Time for the executor and backends: the real one in the product, <see cref="Simulation.VirtualTime"/> in
/// tests and the bench, so a 1,000-VM rollout with second-long steps runs in milliseconds and deterministically.</summary>
public interface IDeploymentClock
{
    TimeSpan Now { get; }
    Task Delay(TimeSpan duration, CancellationToken cancellation = default);
}

public sealed class RealClock : IDeploymentClock
{
    private readonly System.Diagnostics.Stopwatch _watch = System.Diagnostics.Stopwatch.StartNew();
    public TimeSpan Now => _watch.Elapsed;
    public Task Delay(TimeSpan duration, CancellationToken cancellation = default) => Task.Delay(duration, cancellation);
}
