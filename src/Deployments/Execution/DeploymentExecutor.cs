using EventSourced.Deployments.Model;
using EventSourced.Deployments.Planning;

namespace EventSourced.Deployments.Execution;

/// <summary>Runs a plan against a backend. Stages one after another, the groups of a stage together; in a group:
/// deletes first, then the canaries (all must succeed before anything else is touched: their new VMs are the only
/// ones created during the canary phase), then the rest with at most <c>max_in_flight</c> instances updating at
/// once. Recreates follow the group's strategy:
/// <list type="bullet">
/// <item><b>delete-create</b>: drain, stop, detach the disk, delete the VM, create the new one, attach, update
/// artifacts, pre-start, start, post-start, all inside the instance's in-flight slot.</item>
/// <item><b>create-swap-delete</b>: new VMs are created (and their artifacts updated) ahead, each taking a surge slot
/// of the group's budget; the swap drains and stops the old VM, moves the disk, orphans the old VM, and starts the
/// new one; the sweeper deletes the orphan and gives the slot back. VMs above the desired count never exceed the surge.</item>
/// </list>
/// A failure stops the deploy: nothing new starts, what is in flight ends, unused new VMs are orphaned and swept.
/// With an <see cref="IOrphanKeeper"/> the orphans are recorded and left to the keeper's sweeper instead of being deleted
/// before the deploy ends (but for those a group waits for: the surge bound holds either way).</summary>
public sealed class DeploymentExecutor(IDeploymentBackend backend, IDeploymentClock clock, TimeSpan? sweepInterval = null, IOrphanKeeper? keeper = null)
{
    public async Task<ExecutionResult> Execute(DeploymentPlan plan)
    {
        if (!plan.Succeeded) throw new InvalidOperationException("a failed plan cannot run: " + string.Join("; ", plan.Failures));
        var run = new Run(backend, new OrphanSweeper(backend, clock, sweepInterval ?? OrphanSweeper.DefaultInterval, keeper));
        var started = clock.Now;
        using var stop = new CancellationTokenSource();
        var periodic = run.Sweeper.RunPeriodically(stop.Token);
        foreach (var stage in plan.Stages)
        {
            await Task.WhenAll(stage.Select(run.Group));
            if (run.Failure is not null) break;
        }
        var finished = clock.Now;
        await run.Sweeper.Drain();
        var converged = clock.Now;
        stop.Cancel();
        await periodic;
        var untouched = plan.Groups.SelectMany(g => g.Actions).Where(a => a.Kind != ActionKind.Keep && !run.Touched.Contains(a.Id))
            .Select(a => a.Id).ToList();
        return new ExecutionResult(run.Failure, started, finished, converged, run.Completed, untouched, run.Vms, run.Sweeper.Failures);
    }

    private sealed class Run(IDeploymentBackend backend, OrphanSweeper sweeper)
    {
        public OrphanSweeper Sweeper => sweeper;
        public ExecutionFailure? Failure { get; private set; }
        public List<string> Completed { get; } = [];
        public HashSet<string> Touched { get; } = [];
        public Dictionary<string, string> Vms { get; } = [];
        private readonly CancellationToken _none = CancellationToken.None;

        public async Task Group(GroupPlan group)
        {
            var budget = group.Strategy == UpdateStrategy.CreateSwapDelete ? new SurgeBudget(group.Surge) : null;
            if (budget is not null) budget.Pressure += sweeper.SweepNow;
            await Bounded(group.Deletes, group.MaxInFlight, Delete);
            if (Failure is not null) return;

            var changes = group.Changes;
            var canaries = changes.Take(group.Canaries).ToList();
            var rest = changes.Skip(group.Canaries).ToList();
            var prepared = new Dictionary<string, Task<string?>>();
            Prepare(canaries, budget, prepared);
            await Bounded(canaries, Math.Max(1, canaries.Count), a => Change(a, prepared, budget));
            if (Failure is null)
            {
                Prepare(rest, budget, prepared);
                await Bounded(rest, group.MaxInFlight, a => Change(a, prepared, budget));
            }
            // New VMs a failure left unused go to the sweeper.
            // In the order they took their slots, so each waiting one gets the slot an earlier orphan gives back.
            foreach (var (instance, task) in prepared)
            {
                string? unused;
                try { unused = await task; }
                catch (StepFailedException) { continue; } // already recorded by the instance that awaited it, or moot
                if (unused is not null && !Vms.ContainsValue(unused)) await sweeper.Orphan(unused, instance, budget);
            }
        }

        private void Prepare(IEnumerable<InstanceAction> actions, SurgeBudget? budget, Dictionary<string, Task<string?>> prepared)
        {
            if (budget is null) return;
            foreach (var action in actions.Where(a => a.Kind == ActionKind.Recreate)) prepared[action.Id] = PrepareVm(action, budget);
        }

        /// <summary>Create-swap-delete's head start: the new VM, ready to take the disk. Null when the deploy failed
        /// before it began (or it failed itself: then the failure is recorded when the instance awaits it).</summary>
        private async Task<string?> PrepareVm(InstanceAction action, SurgeBudget budget)
        {
            await budget.Acquire();
            if (Failure is not null)
            {
                budget.Release();
                return null;
            }
            Touched.Add(action.Id);
            string vm;
            try { vm = await Step(action, "create VM", () => backend.CreateVm(Request(action), _none)); }
            catch
            {
                budget.Release();
                throw;
            }
            try { await Step(action, "update artifacts", () => backend.Run(LifecycleStep.UpdateArtifacts, vm, action.Id, _none)); }
            catch
            {
                await sweeper.Orphan(vm, action.Id, budget);
                throw;
            }
            return vm;
        }

        private VmRequest Request(InstanceAction action) =>
            new(action.Id, action.Group, action.Target!.Az, action.Target.Host, action.VmType ?? "", action.Target.Address);

        private async Task Bounded(IReadOnlyList<InstanceAction> actions, int limit, Func<InstanceAction, Task> work)
        {
            var queue = new Queue<InstanceAction>(actions);
            async Task Worker()
            {
                while (Failure is null && queue.TryDequeue(out var action))
                {
                    Touched.Add(action.Id);
                    try
                    {
                        await work(action);
                        Completed.Add(action.Id);
                    }
                    catch (StepFailedException e)
                    {
                        Failure ??= e.Failure;
                    }
                }
            }
            await Task.WhenAll(Enumerable.Range(0, Math.Min(limit, queue.Count)).Select(_ => Worker()));
        }

        private async Task<T> Step<T>(InstanceAction action, string step, Func<Task<T>> call)
        {
            try { return await call(); }
            catch (Exception e) when (e is not StepFailedException) { throw new StepFailedException(action.Id, step, e); }
        }

        private Task Step(InstanceAction action, string step, Func<Task> call) =>
            Step(action, step, async () => { await call(); return 0; });

        private Task Hook(InstanceAction action, LifecycleStep step, string vm) =>
            Step(action, Name(step), () => backend.Run(step, vm, action.Id, _none));

        private static string Name(LifecycleStep step) => step switch
        {
            LifecycleStep.UpdateArtifacts => "update artifacts",
            LifecycleStep.PreStart => "pre-start",
            LifecycleStep.PostStart => "post-start",
            _ => step.ToString().ToLowerInvariant(),
        };

        private async Task Delete(InstanceAction action)
        {
            var vm = action.Current!.Vm;
            await Hook(action, LifecycleStep.Drain, vm);
            await Hook(action, LifecycleStep.Stop, vm);
            await Step(action, "delete VM", () => backend.DeleteVm(vm, _none));
        }

        private async Task Start(InstanceAction action, string vm)
        {
            await Hook(action, LifecycleStep.PreStart, vm);
            await Hook(action, LifecycleStep.Start, vm);
            await Hook(action, LifecycleStep.PostStart, vm);
            Vms[action.Id] = vm;
        }

        private async Task Change(InstanceAction action, Dictionary<string, Task<string?>> prepared, SurgeBudget? budget)
        {
            var old = action.Current?.Vm;
            var detach = action.Current?.DiskType is not null;
            var attach = action.DiskType is not null;
            switch (action.Kind)
            {
                case ActionKind.Reload:
                    await Hook(action, LifecycleStep.Reload, old!);
                    Vms[action.Id] = old!;
                    return;
                case ActionKind.Restart:
                    await Hook(action, LifecycleStep.Drain, old!);
                    await Hook(action, LifecycleStep.Stop, old!);
                    await Hook(action, LifecycleStep.UpdateArtifacts, old!);
                    await Start(action, old!);
                    return;
                case ActionKind.Create:
                {
                    var vm = await Step(action, "create VM", () => backend.CreateVm(Request(action), _none));
                    if (attach) await Step(action, "attach disk", () => backend.AttachDisk(vm, action.Id, _none));
                    await Hook(action, LifecycleStep.UpdateArtifacts, vm);
                    await Start(action, vm);
                    return;
                }
                case ActionKind.Recreate when budget is null:
                {
                    await Hook(action, LifecycleStep.Drain, old!);
                    await Hook(action, LifecycleStep.Stop, old!);
                    if (detach) await Step(action, "detach disk", () => backend.DetachDisk(old!, action.Id, _none));
                    await Step(action, "delete VM", () => backend.DeleteVm(old!, _none));
                    var vm = await Step(action, "create VM", () => backend.CreateVm(Request(action), _none));
                    if (attach) await Step(action, "attach disk", () => backend.AttachDisk(vm, action.Id, _none));
                    await Hook(action, LifecycleStep.UpdateArtifacts, vm);
                    await Start(action, vm);
                    return;
                }
                case ActionKind.Recreate:
                {
                    var vm = await prepared[action.Id] ?? throw new StepFailedException(action.Id, "create VM",
                        new InvalidOperationException("the deploy stopped before the new VM was created"));
                    await Hook(action, LifecycleStep.Drain, old!);
                    await Hook(action, LifecycleStep.Stop, old!);
                    if (detach) await Step(action, "detach disk", () => backend.DetachDisk(old!, action.Id, _none));
                    if (attach) await Step(action, "attach disk", () => backend.AttachDisk(vm, action.Id, _none));
                    Vms[action.Id] = vm;
                    await sweeper.Orphan(old!, action.Id, budget);
                    await Start(action, vm);
                    return;
                }
                default:
                    throw new InvalidOperationException($"{action.Kind} is not a change");
            }
        }
    }
}
