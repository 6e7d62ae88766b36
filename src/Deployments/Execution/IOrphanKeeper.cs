namespace EventSourced.Deployments.Execution;

/// <summary>
/// Where a deploy hands the VMs it orphans when they must outlive it (seed 002: orphaned VMs are deleted by a background
/// task, not by the deploy): each orphan is recorded, and a sweeper outside the deploy deletes it after a grace period,
/// even if the process that ran the deploy died meanwhile. With a keeper the executor deletes an orphan itself only when
/// a create-swap-delete waits for its surge slot (and tells the keeper), never when the deploy ends.
/// </summary>
public interface IOrphanKeeper
{
    /// <summary>Records <paramref name="vm"/> of deployment instance <paramref name="instance"/> as orphaned (once: recording it again changes nothing).</summary>
    Task Orphaned(string vm, string instance, CancellationToken cancellation);

    /// <summary>Records that the deploy deleted the orphan <paramref name="vm"/> itself.</summary>
    Task Deleted(string vm, CancellationToken cancellation);
}
