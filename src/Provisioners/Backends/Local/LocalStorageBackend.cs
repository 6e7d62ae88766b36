using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>A "persistent disk" is the instance directory; its size is recorded, not enforced.</summary>
[SubProvisionerImplementation("local-directory")]
public sealed class LocalStorageBackend(IOptions<LocalBackendOptions> options, TimeProvider clock) : IStorageBackend
{
    private readonly LocalBackendOptions _options = options.Value;
    private readonly PostgresTools _tools = new(options.Value);

    public async Task<StorageAllocation> Provision(Guid instanceId, int diskMb, CancellationToken ct)
    {
        if (diskMb <= 0) throw new ArgumentOutOfRangeException(nameof(diskMb), diskMb, "disk size must be positive");
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("the local backend runs PostgreSQL servers on Linux only");
        var instance = new InstanceDirectory(_options.DataRoot, instanceId);
        try
        {
            Directory.CreateDirectory(_options.DataRoot);
            // Owner only: the cluster and its settings are the server's user's alone. Given to that user every time: a
            // broker killed between the mkdir and the chown left a directory the server's user could not enter.
            Directory.CreateDirectory(instance.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            await _tools.GiveToRunAsUser(instance.Path, ct);
            var now = clock.GetUtcNow();
            var record = instance.ReadStorage() switch
            {
                null => new StorageRecord(diskMb, now, now),
                { DiskMb: var recorded } existing when recorded == diskMb => existing,
                var resized => resized with { DiskMb = diskMb, UpdatedAt = now },
            };
            instance.WriteStorage(record);
            return new StorageAllocation(instance.Path, record.DiskMb);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackendException($"could not provision storage for instance {instanceId} in {instance.Path}: {e.Message}", e);
        }
    }

    public Task Deprovision(Guid instanceId, CancellationToken ct)
    {
        var instance = new InstanceDirectory(_options.DataRoot, instanceId);
        if (!Directory.Exists(instance.Path)) return Task.CompletedTask;
        if (instance.ReadPostmasterPid() is { } pid && Postmaster.IsAlive(pid))
            throw new BackendException($"storage of instance {instanceId} is still used by its server (postmaster {pid}): deprovision the server first");
        try
        {
            Directory.Delete(instance.Path, recursive: true);
            if (Directory.Exists(instance.SocketDirectory)) Directory.Delete(instance.SocketDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackendException($"could not delete the storage of instance {instanceId} at {instance.Path}: {e.Message}", e);
        }
        return Task.CompletedTask;
    }
}
