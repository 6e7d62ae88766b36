using EventSourced.Commands.EventStore;
using EventSourced.Commands.Fleet;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Tests.Fleet;

/// <summary>A fleet run's rules: canaries first and alone, a failed canary stops it, then at most max_in_flight at once.</summary>
public sealed class FleetDecisionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid RunId = Guid.NewGuid();

    private static FleetTarget Target() => new(Guid.NewGuid(), "service", "plan", "1.0.0", "1.1.0");

    private static (FleetHistory History, List<IDomainEvent> Log) Started(int instances, int canaries, int maxInFlight)
    {
        var targets = Enumerable.Range(0, instances).Select(_ => Target()).ToList();
        var decision = FleetDecisions.Decide(FleetHistory.Empty, new StartFleetRun(RunId, FleetRunKind.UpgradeAll, targets, canaries, maxInFlight, "ops", Now));
        var log = ((Decision.Accepted)decision).Events.ToList();
        return (FleetHistory.Fold(log), log);
    }

    private static (FleetHistory History, IReadOnlyList<IDomainEvent> New) Advance(List<IDomainEvent> log, params FleetObservation[] seen)
    {
        var decision = FleetDecisions.Decide(FleetHistory.Fold(log), new AdvanceFleetRun(RunId, seen, Guid.NewGuid, Now));
        var added = decision is Decision.Accepted a ? a.Events : [];
        log.AddRange(added);
        return (FleetHistory.Fold(log), added);
    }

    private static FleetObservation Ended(FleetHistory history, Guid instanceId, FleetInstanceResult result) =>
        new(instanceId, history.Find(RunId)!.Instance(instanceId)!.OperationId!.Value, result, result == FleetInstanceResult.Failed ? "the server did not start." : "Updated");

    private static List<Guid> Updating(FleetHistory history) =>
        history.Find(RunId)!.Instances.Where(i => i.State == FleetInstanceState.Updating).Select(i => i.InstanceId).ToList();

    [Fact]
    public void Canaries_GoFirstAndAlone_ThenTheRestAtMostMaxInFlightAtOnce()
    {
        var (history, log) = Started(instances: 5, canaries: 1, maxInFlight: 2);
        var order = history.Find(RunId)!.Instances.Select(i => i.InstanceId).ToList();

        (history, _) = Advance(log);
        Assert.Equal([order[0]], Updating(history));
        (history, var none) = Advance(log);
        Assert.Empty(none);

        (history, _) = Advance(log, Ended(history, order[0], FleetInstanceResult.Succeeded));
        Assert.Equal([order[1], order[2]], Updating(history));

        (history, _) = Advance(log, Ended(history, order[2], FleetInstanceResult.Failed));
        Assert.Equal([order[1], order[3]], Updating(history));

        (history, _) = Advance(log, Ended(history, order[1], FleetInstanceResult.Succeeded), Ended(history, order[3], FleetInstanceResult.Succeeded));
        Assert.Equal([order[4]], Updating(history));
        (history, var last) = Advance(log, Ended(history, order[4], FleetInstanceResult.Succeeded));

        var finished = Assert.IsType<FleetRunFinished>(last[^1]);
        Assert.False(finished.Succeeded);
        Assert.Contains("4 of 5 upgraded", finished.Description);
        Assert.Contains($"{order[2]}: the server did not start.", finished.Description);
        Assert.Null(history.Active);
    }

    [Fact]
    public void AFailedCanary_StopsTheRunOnceNothingIsInFlight_TouchingNothingElse()
    {
        var (history, log) = Started(instances: 5, canaries: 2, maxInFlight: 3);
        var order = history.Find(RunId)!.Instances.Select(i => i.InstanceId).ToList();
        (history, _) = Advance(log);
        Assert.Equal([order[0], order[1]], Updating(history));

        (history, var afterFailure) = Advance(log, Ended(history, order[0], FleetInstanceResult.Failed));
        Assert.DoesNotContain(afterFailure, e => e is FleetInstanceStarted or FleetRunFinished);

        (history, var end) = Advance(log, Ended(history, order[1], FleetInstanceResult.Succeeded));
        var finished = Assert.IsType<FleetRunFinished>(end[^1]);
        Assert.False(finished.Succeeded);
        Assert.Contains($"Canary {order[0]} failed: the server did not start.", finished.Description);
        Assert.Contains("3 instance(s) were not touched", finished.Description);
        Assert.Equal(3, history.Find(RunId)!.Count(FleetInstanceState.Pending));
        Assert.Equal(2, log.OfType<FleetInstanceStarted>().Count());
    }

    [Fact]
    public void AnObservationOfAnotherOperation_OrRepeated_ChangesNothing()
    {
        var (history, log) = Started(instances: 2, canaries: 0, maxInFlight: 1);
        (history, _) = Advance(log);
        var first = Updating(history).Single();

        var (_, stale) = Advance(log, new FleetObservation(first, Guid.NewGuid(), FleetInstanceResult.Failed, "someone else's update"));
        Assert.Empty(stale);

        var seen = Ended(history, first, FleetInstanceResult.Succeeded);
        (history, _) = Advance(log, seen);
        var (_, again) = Advance(log, seen);
        Assert.DoesNotContain(again, e => e is FleetInstanceEnded);
        Assert.Equal(FleetInstanceState.Succeeded, history.Find(RunId)!.Instance(first)!.State);
    }

    [Fact]
    public void OneRunAtATime_ASecondIsRefusedNamingTheFirst_TheSameRunAgainIsDone()
    {
        var (history, _) = Started(instances: 2, canaries: 1, maxInFlight: 1);

        var second = FleetDecisions.Decide(history, new StartFleetRun(Guid.NewGuid(), FleetRunKind.UpgradeAll, [Target()], 1, 1, "ops", Now));
        var again = FleetDecisions.Decide(history, new StartFleetRun(RunId, FleetRunKind.UpgradeAll, [Target()], 1, 1, "ops", Now));

        var refused = Assert.IsType<Decision.Rejected>(second);
        Assert.Equal(DomainErrorCode.Conflict, refused.Error.Code);
        Assert.Contains(RunId.ToString(), refused.Error.Description);
        Assert.IsType<Decision.AlreadyDone>(again);
    }

    [Theory]
    [InlineData(-1, 1, "canaries must be from 0")]
    [InlineData(1001, 1, "canaries must be from 0")]
    [InlineData(1, 0, "maxInFlight must be from 1")]
    [InlineData(1, 101, "maxInFlight must be from 1")]
    public void HostileBounds_AreRefused(int canaries, int maxInFlight, string error)
    {
        var decision = FleetDecisions.Decide(FleetHistory.Empty,
            new StartFleetRun(RunId, FleetRunKind.UpgradeAll, [Target()], canaries, maxInFlight, "ops", Now));

        Assert.Contains(error, Assert.IsType<Decision.Rejected>(decision).Error.Description);
    }

    [Fact]
    public void TheSameInstanceTwice_IsRefused_AndNothingToDoFinishesAtOnce()
    {
        var target = Target();
        var twice = FleetDecisions.Decide(FleetHistory.Empty, new StartFleetRun(RunId, FleetRunKind.UpgradeAll, [target, target], 1, 1, "ops", Now));
        var empty = FleetDecisions.Decide(FleetHistory.Empty, new StartFleetRun(RunId, FleetRunKind.UpgradeAll, [], 1, 1, "ops", Now));

        Assert.IsType<Decision.Rejected>(twice);
        var events = Assert.IsType<Decision.Accepted>(empty).Events;
        Assert.True(Assert.IsType<FleetRunFinished>(events[^1]).Succeeded);
        Assert.Null(FleetHistory.Fold(events).Active);
    }
}
