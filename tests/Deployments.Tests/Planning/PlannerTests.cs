using EventSourced.Deployments.DryRun;
using EventSourced.Deployments.Model;
using EventSourced.Deployments.Planning;
using EventSourced.Deployments.Simulation;

namespace EventSourced.Deployments.Tests.Planning;

public class PlannerTests
{
    private static readonly CloudConfig Cloud = Build.Cloud(2);

    private static GroupPlan Replan(GroupSpec before, GroupSpec after, PropertyRules? rules = null)
    {
        var actual = Build.Deployed(Build.Manifest([before]), Cloud);
        var plan = Planner.Plan(Build.Manifest([after]), Cloud, actual, rules);
        Assert.True(plan.Succeeded, string.Join("; ", plan.Failures));
        return Assert.Single(plan.Groups);
    }

    [Fact]
    public void Each_change_gets_the_least_disruptive_action_that_reaches_it()
    {
        var group = new GroupSpec("g", 2, ["z1", "z2"]);
        Assert.All(Replan(group, group).Actions, a => Assert.Equal(ActionKind.Keep, a.Kind));
        Assert.All(Replan(group, group with { VmType = "large" }).Actions, a => Assert.Equal(ActionKind.Recreate, a.Kind));
        Assert.All(Replan(group, group with { Version = "2" }).Actions, a => Assert.Equal("job pg 1 → 2", Assert.Single(a.Reasons)));
        Assert.All(Replan(group, group with { Property = "b" }).Actions, a => Assert.Equal(ActionKind.Restart, a.Kind));
        var reload = new PropertyRules([new PropertyRule("pg", "conf", ActionKind.Reload)]);
        Assert.All(Replan(group, group with { Property = "b" }, reload).Actions, a => Assert.Equal(ActionKind.Reload, a.Kind));
        var recreate = new PropertyRules([new PropertyRule("pg", "conf", ActionKind.Reload), new PropertyRule("pg", "conf.x", ActionKind.Recreate)]);
        Assert.All(Replan(group, group with { Property = "b" }, recreate).Actions, a => Assert.Equal(ActionKind.Recreate, a.Kind));

        var grown = Replan(group, group with { Instances = 3 });
        Assert.Equal([ActionKind.Create, ActionKind.Keep, ActionKind.Keep], grown.Actions.Select(a => a.Kind));
        var shrunk = Replan(group with { Instances = 4 }, group);
        Assert.Equal([ActionKind.Delete, ActionKind.Delete, ActionKind.Keep, ActionKind.Keep], shrunk.Actions.Select(a => a.Kind));
        Assert.Equal(["g/2", "g/3"], shrunk.Deletes.Select(a => a.Id));
    }

    [Fact]
    public void Surge_chooses_the_strategy_per_group_zero_forcing_delete_create()
    {
        var manifest = Build.Manifest([new GroupSpec("a", 1, ["z1"], Surge: 0), new GroupSpec("b", 1, ["z1"]), new GroupSpec("c", 1, ["z1"], Surge: 3)],
            deploymentSurge: 10);
        var plan = Planner.Plan(manifest, Cloud, ActualDeployment.Empty);
        Assert.Equal([UpdateStrategy.DeleteCreate, UpdateStrategy.CreateSwapDelete, UpdateStrategy.CreateSwapDelete], plan.Groups.Select(g => g.Strategy));
        Assert.Equal([0, 10, 3], plan.Groups.Select(g => g.Surge));
        var noSurge = Planner.Plan(Build.Manifest([new GroupSpec("a", 1, ["z1"])]), Cloud, ActualDeployment.Empty);
        Assert.Equal(UpdateStrategy.DeleteCreate, noSurge.Groups[0].Strategy);
    }

    [Fact]
    public void A_dry_run_shows_actions_strategy_peak_and_estimated_duration()
    {
        var before = new GroupSpec("g", 4, ["z1", "z2"], Surge: 2, MaxInFlight: 2);
        var actual = Build.Deployed(Build.Manifest([before]), Cloud);
        var plan = Planner.Plan(Build.Manifest([before with { VmType = "large" }]), Cloud, actual);
        var report = DryRunReport.Of(plan, actual, StepTimes.Uniform(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5)));
        var text = report.Render();
        Assert.Contains("Instance group g: 4 → 4 instances, create-swap-delete (surge 2), canaries 1, max_in_flight 2, peak 6 VMs", text);
        Assert.Contains("g/0 recreate (vm_type small → large) [canary]", text);
        // Each instance says where it will run.
        var g0 = plan.Groups[0].Actions.Single(a => a.Id == "g/0").Target!;
        Assert.Contains($"g/0 recreate (vm_type small → large) [canary], in AZ {g0.Az} on host {g0.Host} at {g0.Address}", text);
        // canary: create 10 s; then 3 more through 2 slots: (10 + 5) + 10, the last orphan's delete 5 s.
        Assert.Equal(TimeSpan.FromSeconds(40), report.EstimatedDuration);
        Assert.Equal(6, report.PeakVms);
    }

    [Fact]
    public void A_dry_run_of_an_impossible_update_says_why_and_changes_nothing()
    {
        var cloud = Build.Cloud(1, addresses: 5); // 3 dynamic
        var actual = Build.Deployed(Build.Manifest([new GroupSpec("g", 2, ["z1"])]), cloud);
        var plan = Planner.Plan(Build.Manifest([new GroupSpec("g", 4, ["z1"])]), cloud, actual);
        var text = DryRunReport.Of(plan, actual, StepTimes.Uniform(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))).Render();
        Assert.Contains("The update cannot be done:", text);
        Assert.Contains("no free dynamic address in network 'default' of AZ 'z1' for instance g/3", text);
    }
}

public class StageTests
{
    [Fact]
    public void A_group_with_serial_false_runs_with_the_group_before_it()
    {
        var manifest = Build.Manifest([new GroupSpec("a", 1, ["z1"]), new GroupSpec("b", 1, ["z1"], Serial: false), new GroupSpec("c", 1, ["z1"])]);
        var plan = Planner.Plan(manifest, Build.Cloud(1), ActualDeployment.Empty);
        Assert.Equal([["a", "b"], ["c"]], plan.Stages.Select(s => s.Select(g => g.Group).ToArray()).ToArray());
    }
}
