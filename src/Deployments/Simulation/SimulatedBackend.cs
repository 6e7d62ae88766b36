using EventSourced.Deployments.Execution;
using EventSourced.Deployments.Model;

namespace EventSourced.Deployments.Simulation;

/// <summary>How long each backend step takes in a simulation (and, for a dry run, the estimate of a real backend's).</summary>
public sealed record StepTimes(TimeSpan Create, TimeSpan Delete, TimeSpan Attach, TimeSpan Detach, TimeSpan Hook)
{
    public static StepTimes Uniform(TimeSpan create, TimeSpan delete) => new(create, delete, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
}

public enum SimulatedEventKind { CreateStarted, Created, DeleteStarted, Deleted, Attached, Detached, HookStarted, HookFinished }

/// <summary>One recorded backend event, at virtual time.</summary>
public sealed record SimulatedEvent(TimeSpan At, SimulatedEventKind Kind, string Vm, string Instance, string Group, string Host, LifecycleStep? Step = null);

/// <summary>A SIMULATED backend: deterministic latencies per step, a VM capacity per host, injectable failures, and a
/// record of every VM create and delete with its time. A VM counts from the start of its create to the end of its
/// delete, the conservative reading of "VMs that exist" for the surge bound.</summary>
public sealed class SimulatedBackend : IDeploymentBackend
{
    private readonly IDeploymentClock _clock;
    private readonly StepTimes _times;
    private readonly int _hostCapacity;
    private readonly Dictionary<string, (string Instance, string Group, string Host)> _vms = [];
    private readonly List<SimulatedEvent> _events = [];
    private int _next;

    public SimulatedBackend(IDeploymentClock clock, StepTimes times, ActualDeployment running, int hostCapacity = int.MaxValue)
    {
        _clock = clock;
        _times = times;
        _hostCapacity = hostCapacity;
        foreach (var instance in running.Instances) _vms[instance.Vm] = (instance.Id, instance.Group, instance.Host);
        InitialVms = _vms.Values.GroupBy(v => v.Group).ToDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>Throw from a step to fail it: (instance, step name) → exception message, or null to succeed.</summary>
    public Func<string, string, string?> Fail { get; set; } = (_, _) => null;

    public IReadOnlyList<SimulatedEvent> Events => _events;
    public IReadOnlyDictionary<string, int> InitialVms { get; }
    public IReadOnlyCollection<string> Vms => _vms.Keys;

    public async Task<string> CreateVm(VmRequest request, CancellationToken cancellation)
    {
        var onHost = _vms.Values.Count(v => v.Host == request.Host);
        if (onHost >= _hostCapacity) throw new InvalidOperationException($"host {request.Host} is full ({_hostCapacity} VMs)");
        var vm = $"{request.Instance}#{++_next}";
        _vms[vm] = (request.Instance, request.Group, request.Host);
        Record(SimulatedEventKind.CreateStarted, vm);
        await _clock.Delay(_times.Create, cancellation);
        if (Fail(request.Instance, "create VM") is { } message)
        {
            _vms.Remove(vm);
            Record(SimulatedEventKind.Deleted, vm, request.Instance, request.Group, request.Host);
            throw new InvalidOperationException(message);
        }
        Record(SimulatedEventKind.Created, vm);
        return vm;
    }

    public async Task DeleteVm(string vm, CancellationToken cancellation)
    {
        if (!_vms.ContainsKey(vm)) throw new InvalidOperationException($"VM {vm} does not exist");
        Record(SimulatedEventKind.DeleteStarted, vm);
        await _clock.Delay(_times.Delete, cancellation);
        Record(SimulatedEventKind.Deleted, vm);
        _vms.Remove(vm);
    }

    public async Task AttachDisk(string vm, string instance, CancellationToken cancellation)
    {
        await _clock.Delay(_times.Attach, cancellation);
        Record(SimulatedEventKind.Attached, vm);
    }

    public async Task DetachDisk(string vm, string instance, CancellationToken cancellation)
    {
        await _clock.Delay(_times.Detach, cancellation);
        Record(SimulatedEventKind.Detached, vm);
    }

    public async Task Run(LifecycleStep step, string vm, string instance, CancellationToken cancellation)
    {
        Record(SimulatedEventKind.HookStarted, vm, step: step);
        await _clock.Delay(_times.Hook, cancellation);
        if (Fail(instance, step.ToString()) is { } message) throw new InvalidOperationException(message);
        Record(SimulatedEventKind.HookFinished, vm, step: step);
    }

    private void Record(SimulatedEventKind kind, string vm, LifecycleStep? step = null)
    {
        var (instance, group, host) = _vms[vm];
        Record(kind, vm, instance, group, host, step);
    }

    private void Record(SimulatedEventKind kind, string vm, string instance, string group, string host, LifecycleStep? step = null) =>
        _events.Add(new SimulatedEvent(_clock.Now, kind, vm, instance, group, host, step));

    /// <summary>The most VMs of <paramref name="group"/> (all groups when null) that existed at one instant. Events are
    /// counted in the order they happened (the record is appended on the single event loop), so a delete that ended
    /// before a create began at the same virtual instant is not counted as an overlap.</summary>
    public int PeakVms(string? group = null)
    {
        var count = InitialVms.Where(g => group is null || g.Key == group).Sum(g => g.Value);
        var peak = count;
        foreach (var e in _events.Where(e => group is null || e.Group == group))
        {
            if (e.Kind == SimulatedEventKind.CreateStarted) peak = Math.Max(peak, ++count);
            else if (e.Kind == SimulatedEventKind.Deleted) count--;
        }
        return peak;
    }
}
