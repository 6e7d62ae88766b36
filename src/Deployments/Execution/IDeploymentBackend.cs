namespace EventSourced.Deployments.Execution;

/// <summary>The lifecycle steps of seed 002 a service adapter may implement, plus <see cref="Reload"/> for a
/// configuration change that needs no restart.</summary>
public enum LifecycleStep { Drain, Stop, UpdateArtifacts, PreStart, Start, PostStart, Reload }

/// <summary>A VM to create: for which instance, on which host, at which address the placement gave it.</summary>
public sealed record VmRequest(string Instance, string Group, string Az, string Host, string VmType, string? Address = null);

/// <summary>What the engine asks of a backend (local server processes, the simulation). Each call is one step; a
/// failure throws, and the executor reports which instance, which step and why.</summary>
public interface IDeploymentBackend
{
    Task<string> CreateVm(VmRequest request, CancellationToken cancellation);
    Task DeleteVm(string vm, CancellationToken cancellation);
    Task AttachDisk(string vm, string instance, CancellationToken cancellation);
    Task DetachDisk(string vm, string instance, CancellationToken cancellation);
    Task Run(LifecycleStep step, string vm, string instance, CancellationToken cancellation);
}
