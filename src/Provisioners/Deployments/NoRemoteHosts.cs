using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Local;

namespace EventSourced.Provisioners.Deployments;

/// <summary>A node without the bus (wired by hand): a replica on another host cannot be reached from it.</summary>
internal sealed class NoRemoteHosts : IRemoteReplicaSteps
{
    public static readonly NoRemoteHosts Instance = new();

    public Task<int?> Run(string host, RemoteReplicaStep step, CancellationToken ct) =>
        throw new BackendException($"replica {step.Index} of instance {step.InstanceId} is on host {host}, and this node reaches no other host");
}
