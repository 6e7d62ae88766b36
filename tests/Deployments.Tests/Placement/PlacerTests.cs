using EventSourced.Deployments.Model;
using EventSourced.Deployments.Placement;
using EventSourced.Deployments.Planning;

namespace EventSourced.Deployments.Tests.Placement;

public class PlacerTests
{
    [Fact]
    public void Instances_are_spread_evenly_and_get_the_first_free_dynamic_addresses()
    {
        var cloud = Build.Cloud(3);
        var placement = Placer.Place(Build.Manifest([new GroupSpec("g", 7, ["z1", "z2", "z3"])]), cloud, ActualDeployment.Empty);
        Assert.True(placement.Succeeded);
        Assert.Equal([3, 2, 2], new[] { "z1", "z2", "z3" }.Select(z => placement.Instances.Count(i => i.Az == z)));
        Assert.Equal(["10.0.1.3", "10.0.1.4", "10.0.1.5"], placement.Instances.Where(i => i.Az == "z1").Select(i => i.Address));
        Assert.Equal(["h1-1", "h1-2", "h1-1"], placement.Instances.Where(i => i.Az == "z1").Select(i => i.Host));
    }

    [Fact]
    public void A_group_spread_with_another_counts_its_instances_so_together_every_AZ_gets_one()
    {
        var cloud = Build.Cloud(3);
        var manifest = Build.Manifest([new GroupSpec("primary", 1, ["z2"]), new GroupSpec("replicas", 2, ["z1", "z2", "z3"])]);
        var together = manifest with { InstanceGroups = [manifest.InstanceGroups[0], manifest.InstanceGroups[1] with { SpreadWith = ["primary"] }] };

        var alone = Placer.Place(manifest, cloud, ActualDeployment.Empty);
        var spread = Placer.Place(together, cloud, ActualDeployment.Empty);

        Assert.Equal(["z1", "z2"], alone.Instances.Where(i => i.Group == "replicas").Select(i => i.Az).Order());
        Assert.Equal(["z1", "z3"], spread.Instances.Where(i => i.Group == "replicas").Select(i => i.Az).Order());
    }

    [Fact]
    public void Removing_an_AZ_moves_only_its_instances()
    {
        var cloud = Build.Cloud(3);
        var before = Build.Manifest([new GroupSpec("g", 6, ["z1", "z2", "z3"])]);
        var actual = Build.Deployed(before, cloud);
        var plan = Planner.Plan(Build.Manifest([new GroupSpec("g", 6, ["z1", "z2"])]), cloud, actual);
        var changed = plan.Groups[0].Actions.Where(a => a.Kind != ActionKind.Keep).ToList();
        Assert.Equal(actual.Instances.Where(i => i.Az == "z3").Select(i => i.Id).Order(), changed.Select(a => a.Id).Order());
        Assert.All(changed, a => Assert.Equal(ActionKind.Recreate, a.Kind));
        Assert.All(changed, a => Assert.Contains("moves from AZ z3", a.Reasons[0]));
        Assert.Equal([3, 3], new[] { "z1", "z2" }.Select(z => plan.Groups[0].Actions.Count(a => a.Target!.Az == z)));
    }

    [Fact]
    public void Exhausted_addresses_fail_the_plan_before_any_action()
    {
        var cloud = Build.Cloud(1, addresses: 6); // 4 dynamic
        var actual = Build.Deployed(Build.Manifest([new GroupSpec("g", 3, ["z1"])]), cloud);
        var plan = Planner.Plan(Build.Manifest([new GroupSpec("g", 5, ["z1"], VmType: "large")]), cloud, actual);
        Assert.False(plan.Succeeded);
        Assert.Empty(plan.Groups);
        Assert.Equal("instance group 'g': no free dynamic address in network 'default' of AZ 'z1' for instance g/4 (4 addresses, all taken)",
            Assert.Single(plan.Failures));
    }

    [Fact]
    public void Addresses_taken_by_other_deployments_and_static_ones_are_never_handed_out()
    {
        var cloud = Build.Cloud(1, addresses: 8);
        cloud = cloud with { Networks = [cloud.Networks[0] with { Subnets = [cloud.Networks[0].Subnets[0] with { Static = new HashSet<string> { "10.0.1.3" } }] }] };
        var placement = Placer.Place(Build.Manifest([new GroupSpec("g", 2, ["z1"])]), cloud, ActualDeployment.Empty, new HashSet<string> { "10.0.1.4" });
        Assert.Equal(["10.0.1.5", "10.0.1.6"], placement.Instances.Select(i => i.Address));
    }

    [Fact]
    public void An_instance_stays_where_it_is_when_AZs_are_added_or_others_removed()
    {
        var cloud = Build.Cloud(3);
        var actual = Build.Deployed(Build.Manifest([new GroupSpec("g", 1, ["z2", "z3"])]), cloud);
        Assert.Equal("z2", Assert.Single(actual.Instances).Az);
        foreach (var azs in new[] { new[] { "z1", "z2", "z3" }, ["z1", "z2"], ["z3", "z1", "z2"] })
        {
            var plan = Planner.Plan(Build.Manifest([new GroupSpec("g", 1, azs)]), cloud, actual);
            Assert.Equal(ActionKind.Keep, Assert.Single(plan.Groups[0].Actions).Kind);
        }
    }
}
