using EventSourced.Deployments.Execution;

namespace EventSourced.Deployments.Simulation;

/// <summary>A single-threaded event loop with a virtual clock: continuations run in order on the loop, and when none
/// is ready, time jumps to the next timer. Deterministic (timers due at the same instant fire in the order they were
/// set) and instant: a rollout of minutes of simulated steps runs in milliseconds. Code run on it must not leave the
/// loop (no <c>ConfigureAwait(false)</c>, no <c>Task.Run</c>) — the executor and the simulated backend do neither.</summary>
public sealed class VirtualTime : SynchronizationContext, IDeploymentClock
{
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _ready = new();
    private readonly PriorityQueue<TaskCompletionSource, (TimeSpan At, long Order)> _timers = new();
    private long _order;

    public TimeSpan Now { get; private set; }

    public Task Delay(TimeSpan duration, CancellationToken cancellation = default)
    {
        if (duration <= TimeSpan.Zero) return Task.CompletedTask;
        var timer = new TaskCompletionSource();
        _timers.Enqueue(timer, (Now + duration, _order++));
        if (cancellation.CanBeCanceled) cancellation.Register(() => timer.TrySetCanceled(cancellation));
        return timer.Task;
    }

    public override void Post(SendOrPostCallback d, object? state) => _ready.Enqueue((d, state));
    public override void Send(SendOrPostCallback d, object? state) => d(state);

    /// <summary>Runs <paramref name="main"/> to completion on the loop. A run that is still going after
    /// <paramref name="limit"/> of virtual time (default a year) is a livelock — a deadlocked rollout whose periodic
    /// sweeper keeps the clock ticking — and throws instead of spinning forever.</summary>
    public T Run<T>(Func<Task<T>> main, TimeSpan? limit = null)
    {
        var end = Now + (limit ?? TimeSpan.FromDays(365));
        var previous = Current;
        SetSynchronizationContext(this);
        try
        {
            var task = main();
            while (!task.IsCompleted)
            {
                while (_ready.TryDequeue(out var work)) work.Callback(work.State);
                if (task.IsCompleted) break;
                if (!_timers.TryDequeue(out var timer, out var due))
                    throw new InvalidOperationException($"virtual time {Now}: nothing runnable and no timer pending (a deadlock)");
                if (timer.Task.IsCompleted) continue;
                if (due.At > end) throw new TimeoutException($"virtual time passed {end} with the run still going (a livelock)");
                Now = due.At;
                timer.TrySetResult();
            }
            return task.GetAwaiter().GetResult();
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }
}
