using System.Diagnostics;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Deployments.Execution;

namespace EventSourced.Provisioners.Deployments;

/// <summary>
/// Puts every step of a deploy on the record: a step already recorded for the operation (<paramref name="done"/>, read
/// from the instance's log) is not run again — a create returns the VM it made — and a step that completes is recorded,
/// with its duration, before the deploy goes on. So a deploy cut short by a dying worker resumes where it stopped: the
/// executor walks the same plan, and what was done is skipped.
/// </summary>
public sealed class JournaledBackend(
    IDeploymentBackend inner, IEnumerable<DeploymentStep> done, Func<DeploymentStep, Task> record) : IDeploymentBackend
{
    public const string CreateVmStep = "create VM";
    public const string DeleteVmStep = "delete VM";

    private readonly List<DeploymentStep> _done = done.ToList();
    private readonly SemaphoreSlim _recording = new(1, 1);

    /// <summary>How many steps ran here (not skipped as already done).</summary>
    public int Ran { get; private set; }

    public async Task<string> CreateVm(VmRequest request, CancellationToken cancellation)
    {
        lock (_done)
            if (_done.FirstOrDefault(s => s.Instance == request.Instance && s.Step == CreateVmStep) is { } created) return created.Vm;
        var watch = Stopwatch.StartNew();
        var vm = await inner.CreateVm(request, cancellation);
        await Record(new DeploymentStep(request.Instance, CreateVmStep, vm, watch.Elapsed.TotalSeconds));
        return vm;
    }

    public Task DeleteVm(string vm, CancellationToken cancellation) =>
        Once("", DeleteVmStep, vm, () => inner.DeleteVm(vm, cancellation));

    public Task AttachDisk(string vm, string instance, CancellationToken cancellation) =>
        Once(instance, "attach disk", vm, () => inner.AttachDisk(vm, instance, cancellation));

    public Task DetachDisk(string vm, string instance, CancellationToken cancellation) =>
        Once(instance, "detach disk", vm, () => inner.DetachDisk(vm, instance, cancellation));

    public Task Run(LifecycleStep step, string vm, string instance, CancellationToken cancellation) =>
        Once(instance, NameOf(step), vm, () => inner.Run(step, vm, instance, cancellation));

    /// <summary>A lifecycle step as the executor names it in a failure (and the log records it).</summary>
    public static string NameOf(LifecycleStep step) => step switch
    {
        LifecycleStep.UpdateArtifacts => "update artifacts",
        LifecycleStep.PreStart => "pre-start",
        LifecycleStep.PostStart => "post-start",
        _ => step.ToString().ToLowerInvariant(),
    };

    private async Task Once(string instance, string step, string vm, Func<Task> run)
    {
        lock (_done)
            if (_done.Any(s => s.Instance == instance && s.Step == step && s.Vm == vm)) return;
        var watch = Stopwatch.StartNew();
        await run();
        await Record(new DeploymentStep(instance, step, vm, watch.Elapsed.TotalSeconds));
    }

    private async Task Record(DeploymentStep step)
    {
        await _recording.WaitAsync();
        try
        {
            await record(step);
            lock (_done) _done.Add(step);
            Ran++;
        }
        finally
        {
            _recording.Release();
        }
    }
}
