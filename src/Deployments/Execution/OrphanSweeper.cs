namespace EventSourced.Deployments.Execution;

/// <summary>Deletes VMs a create-swap-delete left behind (seed 002: orphaned, then bulk-deleted by a background task
/// every 5 minutes). Each deletion gives its group's surge slot back; a group waiting for a slot sweeps at once, so
/// the surge bound never turns into a 5-minute stall.</summary>
public sealed class OrphanSweeper(IDeploymentBackend backend, IDeploymentClock clock, TimeSpan interval)
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMinutes(5);

    private readonly List<(string Vm, SurgeBudget? Budget)> _orphans = [];
    private readonly List<Task> _deleting = [];
    private readonly List<string> _failures = [];

    public IReadOnlyList<string> Failures => _failures;
    public int Pending => _orphans.Count;

    public void Orphan(string vm, SurgeBudget? budget)
    {
        _orphans.Add((vm, budget));
        if (budget?.HasWaiters == true) SweepNow();
    }

    /// <summary>Starts deleting every orphan, in parallel; does not wait.</summary>
    public void SweepNow()
    {
        foreach (var orphan in _orphans) _deleting.Add(Delete(orphan.Vm, orphan.Budget));
        _orphans.Clear();
    }

    private async Task Delete(string vm, SurgeBudget? budget)
    {
        try
        {
            await backend.DeleteVm(vm, CancellationToken.None);
            budget?.Release();
        }
        catch (Exception e)
        {
            _failures.Add($"orphaned VM {vm} was not deleted: {e.Message}");
        }
    }

    /// <summary>Sweeps every <c>interval</c> until cancelled.</summary>
    public async Task RunPeriodically(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            try { await clock.Delay(interval, cancellation); }
            catch (OperationCanceledException) { return; }
            SweepNow();
        }
    }

    /// <summary>Deletes what is left and waits for every deletion.</summary>
    public async Task Drain()
    {
        SweepNow();
        while (_deleting.Count > 0)
        {
            var batch = _deleting.ToList();
            _deleting.Clear();
            await Task.WhenAll(batch);
        }
    }
}
