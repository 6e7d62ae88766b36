namespace EventSourced.Deployments.Execution;

/// <summary>Deletes VMs a create-swap-delete left behind (seed 002: orphaned, then bulk-deleted by a background task
/// every 5 minutes). Each deletion gives its group's surge slot back; a group waiting for a slot sweeps at once, so
/// the surge bound never turns into a 5-minute stall. With a <paramref name="keeper"/> the orphans outlive the deploy:
/// each is recorded by the keeper and left to its sweeper, except when a group waits for its slot (then it is deleted
/// here, and the keeper told); an orphan the keeper could not record is deleted here, as without a keeper.</summary>
public sealed class OrphanSweeper(IDeploymentBackend backend, IDeploymentClock clock, TimeSpan interval, IOrphanKeeper? keeper = null)
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMinutes(5);

    private readonly List<(string Vm, SurgeBudget? Budget, bool Kept)> _orphans = [];
    private readonly List<Task> _deleting = [];
    private readonly List<string> _failures = [];

    public IReadOnlyList<string> Failures { get { lock (_orphans) return _failures.ToList(); } }
    public int Pending { get { lock (_orphans) return _orphans.Count; } }

    public async Task Orphan(string vm, string instance, SurgeBudget? budget)
    {
        var kept = false;
        if (keeper is not null)
        {
            try
            {
                await keeper.Orphaned(vm, instance, CancellationToken.None);
                kept = true;
            }
            catch (Exception e)
            {
                lock (_orphans) _failures.Add($"orphaned VM {vm} could not be recorded, the deploy deletes it itself: {e.Message}");
            }
        }
        lock (_orphans) _orphans.Add((vm, budget, kept));
        if (budget?.HasWaiters == true) SweepNow();
    }

    /// <summary>Starts deleting every orphan, in parallel; does not wait.</summary>
    public void SweepNow() => Sweep(includingKept: true);

    private void Sweep(bool includingKept)
    {
        lock (_orphans)
        {
            foreach (var orphan in _orphans.Where(o => includingKept || !o.Kept)) _deleting.Add(Delete(orphan.Vm, orphan.Budget, orphan.Kept));
            _orphans.RemoveAll(o => includingKept || !o.Kept);
        }
    }

    private async Task Delete(string vm, SurgeBudget? budget, bool kept)
    {
        try
        {
            await backend.DeleteVm(vm, CancellationToken.None);
            budget?.Release();
            if (kept) await keeper!.Deleted(vm, CancellationToken.None);
        }
        catch (Exception e)
        {
            lock (_orphans) _failures.Add($"orphaned VM {vm} was not deleted: {e.Message}");
        }
    }

    /// <summary>Sweeps every <c>interval</c> until cancelled (the orphans a keeper holds are its sweeper's).</summary>
    public async Task RunPeriodically(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            try { await clock.Delay(interval, cancellation); }
            catch (OperationCanceledException) { return; }
            Sweep(includingKept: false);
        }
    }

    /// <summary>Deletes what is left (but what a keeper holds) and waits for every deletion.</summary>
    public async Task Drain()
    {
        Sweep(includingKept: false);
        while (true)
        {
            List<Task> batch;
            lock (_orphans)
            {
                batch = _deleting.ToList();
                _deleting.Clear();
            }
            if (batch.Count == 0) return;
            await Task.WhenAll(batch);
        }
    }
}
