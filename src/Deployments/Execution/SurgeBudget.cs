namespace EventSourced.Deployments.Execution;

/// <summary>The VMs a group may hold above its desired count: a new VM for create-swap-delete takes a slot before
/// its create starts, and the slot comes back only when the old VM it replaces is deleted. Waiters are served in
/// order (canaries first, then the plan's order), so the rollout is deterministic. When a create has to wait,
/// <see cref="Pressure"/> asks the sweeper to delete orphans now rather than at its next interval.</summary>
public sealed class SurgeBudget(int slots)
{
    private readonly Queue<TaskCompletionSource> _waiters = new();
    private int _free = slots;

    public event Action? Pressure;
    public bool HasWaiters => _waiters.Count > 0;

    public Task Acquire()
    {
        if (_free > 0)
        {
            _free--;
            return Task.CompletedTask;
        }
        var waiter = new TaskCompletionSource();
        _waiters.Enqueue(waiter);
        Pressure?.Invoke();
        return waiter.Task;
    }

    public void Release()
    {
        if (_waiters.TryDequeue(out var next)) next.SetResult();
        else _free++;
    }
}
