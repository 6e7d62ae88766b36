using System.Text.Json;
using EventSourced.Deployments.Execution;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// The deployment engine's backend for one instance on this host, over its dedicated PostgreSQL server.
/// <list type="bullet">
/// <item>A <b>VM</b> is a server slot of the instance: a record <c>vms/&lt;vm&gt;.json</c> in its folder (VM type,
/// settings prepared by "update artifacts"). The VM it was provisioned on has no record (<paramref name="currentVm"/>).</item>
/// <item>The <b>persistent disk</b> is the instance's data directory; <c>disk.json</c> names the VM it is attached to
/// (none: the current one). Only the VM holding the disk runs the server, on the instance's port, which never changes:
/// the address is stable across updates, recreates included.</item>
/// <item>Steps: drain waits for open transactions (<see cref="LocalServerBackend.Drain"/>), stop stops the process,
/// start starts it with the desired <paramref name="settings"/> (or reloads/restarts a running one to them), reload
/// applies reload-only settings, post-start checks it answers; pre-start checks the VM holds the disk.</item>
/// </list>
/// So create-swap-delete prepares the new VM while the old one serves, stops the old one, moves the disk, starts the
/// new one; the old VM's record is deleted by the sweeper. Instances of the <c>replicas</c> group are streaming
/// replicas of the server, each a server of its own (<see cref="LocalReplicaSteps"/>), on the host the plan puts it on
/// (<paramref name="placement"/>; none: every replica on this host).
/// <para>A provisioning deploy (<paramref name="provisioning"/>) creates the server itself: its create VM claims the
/// instance's port on its storage (the address the engine placed it on, when free) and names the VM
/// <paramref name="currentVm"/>, the VM an instance is provisioned on; its start initialises the cluster and starts it.</para>
/// </summary>
public sealed class LocalDeploymentBackend(
    LocalServerBackend servers, Guid instanceId, string currentVm, IReadOnlyDictionary<string, string> settings, ReplicaPlacement? placement = null,
    bool provisioning = false)
    : IDeploymentBackend
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private string Folder => servers.FolderOf(instanceId);
    private string VmFolder => Path.Combine(Folder, "vms");
    private string DiskFile => Path.Combine(Folder, "disk.json");
    private readonly LocalReplicaSteps _replicas = new(servers, instanceId, settings, placement);

    public Task<string> CreateVm(VmRequest request, CancellationToken cancellation)
    {
        if (LocalReplicaSteps.IndexOf(request.Instance) is { } replica) return _replicas.CreateVm(request, replica, cancellation);
        if (provisioning) return ClaimServer(request, cancellation);
        if (!Directory.Exists(Folder)) throw new BackendException($"instance {instanceId} has no folder on this host ({Folder})");
        var vm = $"{request.Instance}#{Guid.NewGuid():N}"[..(request.Instance.Length + 9)];
        Directory.CreateDirectory(VmFolder);
        Write(VmFile(vm), new VmRecord(vm, request.VmType, request.Host, null, DateTimeOffset.UtcNow));
        return Task.FromResult(vm);
    }

    // The planned port when free; taken meanwhile (a provisioning planned at the same moment claimed it first), the next
    // free one: two servers never share a port, and the port claimed is the one recorded.
    private async Task<string> ClaimServer(VmRequest request, CancellationToken cancellation)
    {
        await servers.ClaimServer(instanceId, LocalReplicaSteps.PortOf(request.Address), cancellation);
        ClaimedServer = true;
        return currentVm;
    }

    /// <summary>Whether this provisioning deploy claimed the instance's server (its create VM ran here).</summary>
    public bool ClaimedServer { get; private set; }

    public async Task DeleteVm(string vm, CancellationToken cancellation)
    {
        if (LocalReplicaSteps.IndexOf(vm) is { } replica)
        {
            await _replicas.DeleteVm(replica, vm, cancellation);
            return;
        }
        if (Holder() == vm)
        {
            if (await servers.IsRunning(instanceId, cancellation))
                throw new BackendException($"VM {vm} of instance {instanceId} holds the disk and runs the server: it is not deleted");
            Write(DiskFile, new DiskRecord(null));
        }
        if (File.Exists(VmFile(vm))) File.Delete(VmFile(vm));
    }

    // The disk moves only with the server stopped. A server running here although the deploy stopped it was started
    // again meanwhile (a worker restarted mid-deploy resurrects the servers it finds dead): it is stopped again.
    public async Task AttachDisk(string vm, string instance, CancellationToken cancellation)
    {
        if (LocalReplicaSteps.IndexOf(instance) is { } replica)
        {
            await _replicas.AttachDisk(replica, vm, cancellation);
            return;
        }
        if (Holder() != vm) await servers.StopServer(instanceId, cancellation);
        Write(DiskFile, new DiskRecord(vm));
    }

    public async Task DetachDisk(string vm, string instance, CancellationToken cancellation)
    {
        if (LocalReplicaSteps.IndexOf(instance) is not null) return; // a replica's copy goes with its VM
        if (Holder() != vm) return;
        await servers.StopServer(instanceId, cancellation);
        Write(DiskFile, new DiskRecord(null));
    }

    /// <summary>Where the replica on <paramref name="vm"/> runs once started: its host (null: this one, the primary's) and port.</summary>
    public Task<(string? Host, int Port)> ReplicaEndpoint(string vm, CancellationToken cancellation) =>
        _replicas.Endpoint(LocalReplicaSteps.IndexOf(vm) ?? throw new BackendException($"VM {vm} is no replica's"), vm, cancellation);

    /// <summary>The VM the instance's disk is attached to here, if a deploy ever moved it (null: never, or detached).</summary>
    public static string? AttachedVm(LocalServerBackend servers, Guid instanceId)
    {
        var file = Path.Combine(servers.FolderOf(instanceId), "disk.json");
        return File.Exists(file) ? Read<DiskRecord>(file)!.Vm : null;
    }

    public async Task Run(LifecycleStep step, string vm, string instance, CancellationToken cancellation)
    {
        if (LocalReplicaSteps.IndexOf(instance) is { } replica)
        {
            await _replicas.Run(step, replica, vm, cancellation);
            return;
        }
        switch (step)
        {
            case LifecycleStep.Drain when Holder() == vm:
                await servers.Drain(instanceId, cancellation);
                return;
            case LifecycleStep.Stop when Holder() == vm:
                await servers.StopServer(instanceId, cancellation);
                return;
            case LifecycleStep.Drain or LifecycleStep.Stop:
                return; // a VM without the disk runs nothing
            case LifecycleStep.UpdateArtifacts:
                if (File.Exists(VmFile(vm))) Write(VmFile(vm), Read<VmRecord>(VmFile(vm))! with { Settings = settings });
                return;
            case LifecycleStep.PreStart:
                if (Holder() != vm) throw new BackendException($"VM {vm} of instance {instanceId} has no disk attached (it is on {Holder() ?? "no VM"})");
                return;
            case LifecycleStep.Start or LifecycleStep.Reload:
                await servers.Reconfigure(instanceId, settings, cancellation);
                return;
            case LifecycleStep.PostStart:
                if (!await servers.IsRunning(instanceId, cancellation))
                    throw new BackendException($"the server of instance {instanceId} does not answer after its start");
                return;
        }
    }

    /// <summary>
    /// Deletes an orphaned VM's record, as <see cref="EventSourced.Provisioners.Deployments.VmOrphanSweeper"/> does after the
    /// grace period: false, deleting nothing, when it is the VM holding the instance's disk (<paramref name="currentVm"/>
    /// when the disk never moved). A VM already gone, or a whole instance folder gone (deprovisioned), is deleted.
    /// </summary>
    public static bool DeleteOrphan(LocalServerBackend servers, Guid instanceId, string vm, string currentVm)
    {
        var folder = servers.FolderOf(instanceId);
        if (!Directory.Exists(folder)) return true;
        var disk = Path.Combine(folder, "disk.json");
        if ((File.Exists(disk) ? Read<DiskRecord>(disk)!.Vm : currentVm) == vm) return false;
        var file = VmFileIn(folder, vm);
        if (File.Exists(file)) File.Delete(file);
        return true;
    }

    /// <summary>The VM the disk is attached to: the recorded one, else (never moved) the current VM; null when detached.</summary>
    private string? Holder() => File.Exists(DiskFile) ? Read<DiskRecord>(DiskFile)!.Vm : currentVm;

    private string VmFile(string vm) => VmFileIn(Folder, vm);

    private static string VmFileIn(string instanceFolder, string vm) =>
        Path.Combine(instanceFolder, "vms", vm.Replace('/', '_').Replace('#', '-') + ".json");

    private static T? Read<T>(string file) => JsonSerializer.Deserialize<T>(File.ReadAllText(file), Json);

    private static void Write<T>(string file, T record)
    {
        var temporary = $"{file}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(record, Json));
        File.Move(temporary, file, overwrite: true);
    }

    private sealed record VmRecord(string Vm, string VmType, string Host, IReadOnlyDictionary<string, string>? Settings, DateTimeOffset CreatedAt);

    private sealed record DiskRecord(string? Vm);
}
