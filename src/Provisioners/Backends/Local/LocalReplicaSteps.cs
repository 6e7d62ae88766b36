using System.Globalization;
using EventSourced.Deployments.Execution;

namespace EventSourced.Provisioners.Backends.Local;

/// <summary>
/// The deployment engine's steps for the instances of the <c>replicas</c> group (<c>replicas/N</c>), each a streaming
/// replica of the instance's primary (<see cref="LocalServerBackend.CreateReplica"/>): create VM claims its port (the
/// address the engine placed it on, when free), attach disk copies the primary (pg_basebackup), start starts the standby
/// with the deployment's settings, post-start waits until it streams; stop stops it; delete VM removes it and its slot.
/// </summary>
internal sealed class LocalReplicaSteps(LocalServerBackend servers, Guid instanceId, IReadOnlyDictionary<string, string> settings)
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
        await servers.CreateReplica(instanceId, index, vm, PortOf(request.Address), ct);
        return vm;
    }

    public Task DeleteVm(int index, CancellationToken ct) => servers.RemoveReplica(instanceId, index, ct);

    public Task AttachDisk(int index, CancellationToken ct) => servers.CopyPrimary(instanceId, index, ct);

    public Task Run(LifecycleStep step, int index, CancellationToken ct) => step switch
    {
        LifecycleStep.Stop => servers.StopReplica(instanceId, index, ct),
        LifecycleStep.Start or LifecycleStep.Reload => servers.StartReplica(instanceId, index, settings, ct),
        LifecycleStep.PostStart => servers.WaitUntilStreaming(instanceId, index, ct),
        _ => Task.CompletedTask, // drain: a standby runs no writes; artifacts are written at start; pre-start: the copy is checked at start
    };

    private static int? PortOf(string? address) =>
        address?.Split(':') is [_, var port] && int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}
