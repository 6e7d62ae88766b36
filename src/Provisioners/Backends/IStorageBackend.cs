namespace EventSourced.Provisioners.Backends;

public sealed record StorageAllocation(string DataDirectory, int DiskMb);

/// <summary>The "persistent disk" of a service instance: it survives the server being recreated.</summary>
public interface IStorageBackend
{
    /// <summary>Idempotent: the same instance gets the same allocation (a different size is recorded as a resize).</summary>
    Task<StorageAllocation> Provision(Guid instanceId, int diskMb, CancellationToken ct);

    /// <summary>Removes the data; an absent allocation is fine. Refuses while the instance's server still runs.</summary>
    Task Deprovision(Guid instanceId, CancellationToken ct);
}
