using EventSourced.Deployments.Execution;
using EventSourced.Deployments.Model;
using EventSourced.Deployments.Planning;
using EventSourced.Deployments.Simulation;

namespace EventSourced.Deployments.Tests.Execution;

public class ExecutorTests
{
    private static readonly CloudConfig Cloud = Build.Cloud(2, hosts: 3, addresses: 100);
    private static readonly StepTimes Times = new(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1),
        TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(500));

    private static Rollout Recreate(GroupSpec group, Func<string, string, string?>? fail = null, int hostCapacity = int.MaxValue)
    {
        var actual = Build.Deployed(Build.Manifest([group]), Cloud);
        return Rollout.Run(Build.Manifest([group with { VmType = "large" }]), Cloud, actual, Times, hostCapacity, fail);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0)]
    public void Delete_create_never_holds_more_VMs_than_desired_and_deletes_before_it_creates(int? surge)
    {
        var rollout = Recreate(new GroupSpec("g", 12, ["z1", "z2"], Surge: surge, MaxInFlight: 4));
        Assert.True(rollout.Result.Succeeded, rollout.Result.Failure?.ToString());
        Assert.Equal(UpdateStrategy.DeleteCreate, rollout.Plan.Groups[0].Strategy);
        Assert.Equal(12, rollout.Backend.PeakVms("g"));
        foreach (var instance in rollout.Backend.Events.GroupBy(e => e.Instance))
        {
            var deleted = instance.Single(e => e.Kind == SimulatedEventKind.Deleted).At;
            Assert.True(instance.Single(e => e.Kind == SimulatedEventKind.CreateStarted).At >= deleted, $"{instance.Key} created before its old VM was deleted");
        }
        Assert.Equal(12, rollout.Backend.Vms.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(20)]
    public void Create_swap_delete_stays_within_desired_plus_surge_at_every_instant(int surge)
    {
        var rollout = Recreate(new GroupSpec("g", 12, ["z1", "z2"], Surge: surge, MaxInFlight: 4));
        Assert.True(rollout.Result.Succeeded, rollout.Result.Failure?.ToString());
        Assert.Equal(12 + Math.Min(surge, 12), rollout.Backend.PeakVms("g"));
        foreach (var instance in rollout.Backend.Events.GroupBy(e => e.Instance))
        {
            var created = instance.Single(e => e.Kind == SimulatedEventKind.Created).At;
            var oldDeleted = instance.Single(e => e.Kind == SimulatedEventKind.DeleteStarted).At;
            Assert.True(created <= oldDeleted, $"{instance.Key}: the old VM went before the new one existed");
        }
        Assert.Equal(12, rollout.Backend.Vms.Count);
        Assert.Equal(rollout.Result.Vms.Values.Order(), rollout.Backend.Vms.Order());
    }

    [Theory]
    [InlineData(null, 1)]
    [InlineData(5, 2)]
    [InlineData(null, 3)]
    [InlineData(5, 3)]
    public void Canaries_finish_before_any_other_instance_is_touched_and_max_in_flight_holds(int? surge, int canaries)
    {
        var rollout = Recreate(new GroupSpec("g", 10, ["z1", "z2"], Surge: surge, Canaries: canaries, MaxInFlight: 3));
        Assert.True(rollout.Result.Succeeded);
        var canaryIds = rollout.Plan.Groups[0].Changes.Take(canaries).Select(a => a.Id).ToHashSet();
        Assert.Equal(canaries, canaryIds.Count);
        var canariesDone = rollout.Backend.Events.Where(e => canaryIds.Contains(e.Instance) && e.Step == LifecycleStep.PostStart).Max(e => e.At);
        var othersBegin = rollout.Backend.Events.Where(e => !canaryIds.Contains(e.Instance) && e.Kind != SimulatedEventKind.Deleted).Min(e => e.At);
        Assert.True(canariesDone <= othersBegin, $"canaries done at {canariesDone}, others began at {othersBegin}");
        Assert.Equal(3, rollout.MaxInFlight("g"));
    }

    [Fact]
    public void A_failing_canary_stops_the_deploy_with_nothing_else_touched()
    {
        var rollout = Recreate(new GroupSpec("g", 6, ["z1", "z2"], Surge: 3, Canaries: 1, MaxInFlight: 3),
            fail: (instance, step) => instance == "g/0" && step == "PreStart" ? "pre-start script exited 1" : null);
        Assert.False(rollout.Result.Succeeded);
        Assert.Equal("instance g/0 failed in step 'pre-start': pre-start script exited 1", rollout.Result.Failure!.ToString());
        Assert.Equal(["g/1", "g/2", "g/3", "g/4", "g/5"], rollout.Result.Untouched);
        Assert.All(rollout.Backend.Events, e => Assert.Equal("g/0", e.Instance));
    }

    [Fact]
    public void A_full_host_fails_with_the_instance_the_step_and_the_host()
    {
        var rollout = Recreate(new GroupSpec("g", 6, ["z1", "z2"], Surge: 6, Canaries: 1, MaxInFlight: 6), hostCapacity: 1);
        Assert.False(rollout.Result.Succeeded);
        Assert.Equal("g/0", rollout.Result.Failure!.Instance);
        Assert.Equal("create VM", rollout.Result.Failure.Step);
        Assert.Contains("is full (1 VMs)", rollout.Result.Failure.Reason);
        Assert.Equal(6, rollout.Backend.Vms.Count);
    }

    [Fact]
    public void Orphans_are_swept_on_the_interval_when_no_create_waits_for_a_slot()
    {
        var actual = Build.Deployed(Build.Manifest([new GroupSpec("g", 2, ["z1"], Surge: 2)]), Cloud);
        var plan = Planner.Plan(Build.Manifest([new GroupSpec("g", 2, ["z1"], VmType: "large", Surge: 2)]), Cloud, actual);
        var time = new VirtualTime();
        var backend = new SimulatedBackend(time, StepTimes.Uniform(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), actual);
        var sweeper = new OrphanSweeper(backend, time, TimeSpan.FromSeconds(30));
        var stop = new CancellationTokenSource();
        time.Run(async () =>
        {
            var periodic = sweeper.RunPeriodically(stop.Token);
            await sweeper.Orphan("g/0#0", "g/0", new SurgeBudget(1));
            await time.Delay(TimeSpan.FromSeconds(29));
            Assert.Contains("g/0#0", backend.Vms);
            await time.Delay(TimeSpan.FromSeconds(3));
            Assert.DoesNotContain("g/0#0", backend.Vms);
            stop.Cancel();
            await periodic;
            return 0;
        });
        Assert.Equal(TimeSpan.FromSeconds(30), backend.Events.Single(e => e.Kind == SimulatedEventKind.DeleteStarted).At);
        Assert.NotNull(plan);
    }
}

public class VirtualTimeTests
{
    [Fact]
    public void A_run_that_never_ends_is_stopped_at_the_virtual_limit_instead_of_spinning()
    {
        var time = new VirtualTime();
        var error = Assert.Throws<TimeoutException>(() => time.Run(async () =>
        {
            while (true) await time.Delay(TimeSpan.FromMinutes(5));
#pragma warning disable CS0162
            return 0;
#pragma warning restore CS0162
        }, TimeSpan.FromDays(1)));
        Assert.Contains("livelock", error.Message);
        Assert.True(time.Now <= TimeSpan.FromDays(1));
    }

    [Fact]
    public void A_deadlock_with_no_timer_left_is_reported()
    {
        var time = new VirtualTime();
        var error = Assert.Throws<InvalidOperationException>(() => time.Run(async () =>
        {
            await new TaskCompletionSource().Task;
            return 0;
        }));
        Assert.Contains("deadlock", error.Message);
    }
}
