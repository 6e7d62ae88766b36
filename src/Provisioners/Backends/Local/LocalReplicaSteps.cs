using System.Globalization;
using EventSourced.Deployments.Execution;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// The deployment engine's steps for the instances of the <c>replicas</c> group (<c>replicas/N</c>), each a streaming
/// replica of the instance's primary (<see cref="LocalServerBackend.CreateReplica"/>): create VM claims its port (the
/// address the engine placed it on, when free), attach disk copies the primary (pg_basebackup), start starts the standby
/// with the deployment's settings, post-start waits until it streams; stop stops it; delete VM removes it and its slot.
/// A replica placed on another host than the primary's (<paramref name="placement"/>) has its steps run there; its
/// primary's side (the replication role and password, the slot) is done here.
/// </summary>
internal sealed class LocalReplicaSteps(
    LocalServerBackend servers, Guid instanceId, IReadOnlyDictionary<string, string> settings, ReplicaPlacement? placement)
{
    private const string Group = Commands.ServiceInstances.ReplicaDecisions.Group;

    /// <summary>The replica index of a deployment instance (<c>replicas/2</c>) or of one of its VMs (<c>replicas/2#1a2b3c4d</c>); null for others.</summary>
    public static int? IndexOf(string instanceOrVm)
    {
        if (!instanceOrVm.StartsWith(Group + "/", StringComparison.Ordinal)) return null;
        var index = instanceOrVm[(Group.Length + 1)..].Split('#')[0];
        return int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }

    public async Task<string> CreateVm(VmRequest request, int index, CancellationToken ct)
    {
        var vm = $"{request.Instance}#{Guid.NewGuid():N}"[..(request.Instance.Length + 9)];
        if (placement is not null && request.Host != placement.PrimaryHost)
            await placement.Remote.Run(request.Host, new RemoteReplicaStep(instanceId, index, ReplicaStep.Create, vm, PortOf(request.Address)), ct);
        else
            await servers.CreateReplica(instanceId, index, vm, PortOf(request.Address), ct);
        return vm;
    }

    public async Task DeleteVm(int index, string vm, CancellationToken ct)
    {
        if (RemoteHostOf(vm, index) is not { } host)
        {
            await servers.RemoveReplica(instanceId, index, ct);
            return;
        }
        await placement!.Remote.Run(host, new RemoteReplicaStep(instanceId, index, ReplicaStep.Remove), ct);
        await servers.DropReplicaSlot(instanceId, index, ct);
    }

    public async Task AttachDisk(int index, string vm, CancellationToken ct)
    {
        if (RemoteHostOf(vm, index) is not { } host)
        {
            await servers.CopyPrimary(instanceId, index, ct);
            return;
        }
        var (port, password) = await servers.PrepareReplicationSource(instanceId, index, ct);
        await placement!.Remote.Run(host, new RemoteReplicaStep(instanceId, index, ReplicaStep.Copy, PrimaryPort: port, Password: password), ct);
    }

    public Task Run(LifecycleStep step, int index, string vm, CancellationToken ct)
    {
        var remote = RemoteHostOf(vm, index) is { } host
            ? (Func<ReplicaStep, Task>)(kind => placement!.Remote.Run(host, new RemoteReplicaStep(instanceId, index, kind, Settings: settings), ct))
            : null;
        return step switch
        {
            LifecycleStep.Stop => remote?.Invoke(ReplicaStep.Stop) ?? servers.StopReplica(instanceId, index, ct),
            LifecycleStep.Start or LifecycleStep.Reload => remote?.Invoke(ReplicaStep.Start) ?? servers.StartReplica(instanceId, index, settings, ct),
            LifecycleStep.PostStart => remote?.Invoke(ReplicaStep.WaitUntilStreaming) ?? servers.WaitUntilStreaming(instanceId, index, ct),
            _ => Task.CompletedTask, // drain: a standby runs no writes; artifacts are written at start; pre-start: the copy is checked at start
        };
    }

    /// <summary>Where the replica on <paramref name="vm"/> runs: its host (null: the primary's) and its port there.</summary>
    public async Task<(string? Host, int Port)> Endpoint(int index, string vm, CancellationToken ct)
    {
        if (RemoteHostOf(vm, index) is { } host)
            return (host, await placement!.Remote.Run(host, new RemoteReplicaStep(instanceId, index, ReplicaStep.Describe), ct)
                          ?? throw new BackendException($"replica {index} of instance {instanceId} has no folder on host {host}"));
        var replica = (await servers.ReplicasOf(instanceId, ct)).FirstOrDefault(r => r.Index == index)
                      ?? throw new BackendException($"replica {index} of instance {instanceId} has no folder on this host");
        return (placement?.PrimaryHost, replica.Port);
    }

    private string? RemoteHostOf(string vm, int index) => placement?.RemoteHostOf(vm, $"{Group}/{index}");

    /// <summary>The port of a loopback address the engine placed a VM on (<c>127.0.0.1:5433</c>); null for any other address.</summary>
    public static int? PortOf(string? address) =>
        address?.Split(':') is [_, var port] && int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}
