using EventSourced.Deployments.Model;
using EventSourced.Deployments.Planning;
using EventSourced.Deployments.Simulation;
using EventSourced.Deployments.Tests.Execution;
using FsCheck.Xunit;

namespace EventSourced.Deployments.Tests.Properties;

/// <summary>The planner and executor over random deployments and random changes (FsCheck; a failure prints the
/// shrunk scenario and the seed to replay it).</summary>
[Properties(Arbitrary = [typeof(Arbitraries)], MaxTest = 300)]
public class PlannerProperties
{
    private static (ActualDeployment Actual, DeploymentPlan Plan) Change(Scenario s)
    {
        var actual = Build.Deployed(s.BeforeManifest, s.Cloud);
        var plan = Planner.Plan(s.AfterManifest, s.Cloud, actual);
        Assert.True(plan.Succeeded, string.Join("; ", plan.Failures));
        return (actual, plan);
    }

    [Property]
    public void Every_group_is_spread_evenly_over_its_AZs(Scenario s)
    {
        var (_, plan) = Change(s);
        foreach (var group in s.AfterManifest.InstanceGroups)
        {
            var targets = plan.Groups.Single(g => g.Group == group.Name).Actions.Where(a => a.Target is not null).Select(a => a.Target!).ToList();
            Assert.Equal(group.Instances, targets.Count);
            Assert.All(targets, t => Assert.Contains(t.Az, group.Azs));
            var counts = group.Azs.Select(az => targets.Count(t => t.Az == az)).ToList();
            Assert.True(counts.Max() - counts.Min() <= 1, $"{group.Name}: {string.Join(",", counts)} over {string.Join(",", group.Azs)}");
        }
    }

    [Property]
    public void No_two_instances_ever_share_an_address_and_every_address_is_a_dynamic_one_of_its_AZ(Scenario s)
    {
        var (actual, plan) = Change(s);
        var targets = plan.Groups.SelectMany(g => g.Actions).Where(a => a.Target is not null).Select(a => a.Target!).ToList();
        Assert.Equal(targets.Count, targets.Select(t => t.Address).Distinct().Count());
        foreach (var t in targets)
        {
            var subnet = s.Cloud.Network("default")!.For(t.Az)!;
            Assert.Contains(t.Address, subnet.Range);
            Assert.DoesNotContain(t.Address, subnet.Reserved);
            Assert.Contains(t.Host, s.Cloud.Az(t.Az)!.Hosts);
        }
        // An address in use now is never handed to another instance in the same plan.
        var holders = actual.Instances.ToDictionary(i => i.Address, i => i.Id);
        Assert.All(targets, t => Assert.True(!holders.TryGetValue(t.Address, out var holder) || holder == t.Id,
            $"{t.Id} takes {t.Address}, held by {holders.GetValueOrDefault(t.Address)}"));
    }

    [Property]
    public void Applying_a_plan_and_planning_again_changes_nothing(Scenario s)
    {
        var (_, plan) = Change(s);
        var replan = Planner.Plan(s.AfterManifest, s.Cloud, Planner.Outcome(s.AfterManifest, plan));
        Assert.All(replan.Groups.SelectMany(g => g.Actions), a => Assert.Equal(ActionKind.Keep, a.Kind));
    }

    [Property]
    public void Removing_AZs_moves_only_the_instances_in_them(Scenario s)
    {
        // From a state with a history (deployed, then changed), so AZs are not always filled front to back; every
        // position's AZ removed in turn.
        var (_, changed) = Change(s);
        var actual = Planner.Outcome(s.AfterManifest, changed);
        for (var position = 0; position < 4; position++)
        {
            var shrunk = s.After.Select(g => g with { Azs = g.Azs.Length > 1 ? g.Azs.Where((_, z) => z != position % g.Azs.Length).ToArray() : g.Azs })
                .ToArray();
            var plan = Planner.Plan(Build.Manifest(shrunk, s.DeploymentSurge), s.Cloud, actual);
            foreach (var action in plan.Groups.SelectMany(g => g.Actions))
            {
                var removed = s.After.Single(g => g.Name == action.Group).Azs.Except(shrunk.Single(g => g.Name == action.Group).Azs).ToList();
                var stays = !removed.Contains(action.Current!.Az);
                Assert.True((stays ? ActionKind.Keep : ActionKind.Recreate) == action.Kind,
                    $"removing {string.Join(",", removed)}: {action}");
                if (stays)
                    Assert.Equal((action.Current.Az, action.Current.Host, action.Current.Address),
                        (action.Target!.Az, action.Target.Host, action.Target.Address));
            }
        }
    }

    [Property]
    public void A_group_already_balanced_over_its_new_AZs_moves_nothing(Scenario s)
    {
        var (actual, plan) = Change(s);
        foreach (var group in s.AfterManifest.InstanceGroups)
        {
            var existing = actual.Instances.Where(i => i.Group == group.Name).ToList();
            var counts = group.Azs.Select(az => existing.Count(i => i.Az == az)).ToList();
            if (existing.Count != group.Instances || existing.Any(i => !group.Azs.Contains(i.Az)) || counts.Max() - counts.Min() > 1) continue;
            Assert.All(plan.Groups.Single(g => g.Group == group.Name).Actions, a =>
                Assert.Equal((a.Current!.Az, a.Current.Host, a.Current.Address), (a.Target!.Az, a.Target.Host, a.Target.Address)));
        }
    }

    [Property]
    public void Surge_chooses_the_strategy_and_the_executor_keeps_to_it(Scenario s)
    {
        var (actual, plan) = Change(s);
        var time = new VirtualTime();
        var backend = new SimulatedBackend(time, s.Times, actual);
        var result = time.Run(() => new Deployments.Execution.DeploymentExecutor(backend, time).Execute(plan));
        Assert.True(result.Succeeded, result.Failure?.ToString());
        foreach (var group in plan.Groups)
        {
            var spec = s.After.SingleOrDefault(g => g.Name == group.Group);
            var surge = spec?.Surge ?? s.DeploymentSurge;
            Assert.Equal(surge > 0 ? UpdateStrategy.CreateSwapDelete : UpdateStrategy.DeleteCreate, group.Strategy);
            foreach (var recreate in group.Actions.Where(a => a.Kind == ActionKind.Recreate))
            {
                var events = backend.Events.Select((e, order) => (e, order)).Where(x => x.e.Instance == recreate.Id).ToList();
                var oldGone = events.Single(x => x.e.Vm == recreate.Current!.Vm && x.e.Kind == SimulatedEventKind.Deleted).order;
                var newBegun = events.Single(x => x.e.Vm != recreate.Current!.Vm && x.e.Kind == SimulatedEventKind.CreateStarted).order;
                var newReady = events.Single(x => x.e.Vm != recreate.Current!.Vm && x.e.Kind == SimulatedEventKind.Created).order;
                if (group.Strategy == UpdateStrategy.DeleteCreate) Assert.True(oldGone < newBegun, $"{recreate.Id}: created before deleted");
                else Assert.True(newReady < oldGone, $"{recreate.Id}: the old VM went before the new one was ready");
            }
        }
    }

    [Property]
    public void VMs_never_exceed_desired_plus_surge_and_the_rollout_converges(Scenario s)
    {
        var (actual, plan) = Change(s);
        var rollout = Rollout.Run(s.AfterManifest, s.Cloud, actual, s.Times);
        Assert.True(rollout.Result.Succeeded, rollout.Result.Failure?.ToString());
        foreach (var group in plan.Groups)
            Assert.True(rollout.Backend.PeakVms(group.Group) <= group.PeakBound,
                $"{group.Group}: peak {rollout.Backend.PeakVms(group.Group)} > max({group.Desired}, {group.Current}) + {group.Surge}");
        Assert.True(rollout.Backend.PeakVms() <= plan.Groups.Sum(g => g.PeakBound), $"deployment: peak {rollout.Backend.PeakVms()}");
        Assert.Equal(s.After.Sum(g => g.Instances), rollout.Backend.Vms.Count);
        var outcome = Planner.Outcome(s.AfterManifest, rollout.Plan, rollout.Result.Vms);
        Assert.Equal(rollout.Backend.Vms.Order(), outcome.Instances.Select(i => i.Vm).Order());
        var replan = Planner.Plan(s.AfterManifest, s.Cloud, outcome);
        Assert.All(replan.Groups.SelectMany(g => g.Actions), a => Assert.Equal(ActionKind.Keep, a.Kind));
    }

    [Property]
    public void Canaries_go_first_and_max_in_flight_holds(Scenario s)
    {
        var (actual, _) = Change(s);
        var rollout = Rollout.Run(s.AfterManifest, s.Cloud, actual, s.Times);
        foreach (var group in rollout.Plan.Groups)
        {
            Assert.True(rollout.MaxInFlight(group.Group) <= Math.Max(group.MaxInFlight, group.Canaries),
                $"{group.Group}: {rollout.MaxInFlight(group.Group)} in flight, max_in_flight {group.MaxInFlight}");
            var canaries = group.Changes.Take(group.Canaries).Select(a => a.Id).ToHashSet();
            var others = group.Changes.Skip(group.Canaries).Select(a => a.Id).ToHashSet();
            if (canaries.Count == 0 || others.Count == 0) continue;
            var canariesDone = rollout.Backend.Events.Select((e, order) => (e, order))
                .Where(x => canaries.Contains(x.e.Instance) && x.e.Step == Deployments.Execution.LifecycleStep.PostStart).Max(x => x.order);
            var othersBegin = rollout.Backend.Events.Select((e, order) => (e, order))
                .Where(x => others.Contains(x.e.Instance) && x.e.Kind != SimulatedEventKind.Deleted).Min(x => x.order);
            Assert.True(canariesDone < othersBegin, $"{group.Group}: another instance began before the canaries were done");
        }
    }
}
