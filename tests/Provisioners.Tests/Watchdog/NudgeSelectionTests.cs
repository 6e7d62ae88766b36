using EventSourced.Projections.ServiceInstances;
using EventSourced.Provisioners.Watchdog;

namespace EventSourced.Provisioners.Tests.Watchdog;

/// <summary>A backlog of quiet operations is nudged a bounded number per pass, the longest quiet first, each one in turn.</summary>
public sealed class NudgeSelectionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan NudgeAfter = TimeSpan.FromMinutes(1);

    private static RunningOperation Quiet(int minutesAgo) =>
        new(Guid.NewGuid(), Guid.NewGuid(), Now.AddHours(1), AwaitingOutcome: true, ProgressedAt: Now.AddMinutes(-minutesAgo));

    [Fact]
    public void ABacklogIsNudgedAtMostMaxPerPass_LongestQuietFirst_AndEveryOneInTurn()
    {
        var operations = Enumerable.Range(1, 250).Select(Quiet).ToList();
        var nudgedAt = new Dictionary<Guid, DateTimeOffset>();
        var passes = new List<IReadOnlyList<RunningOperation>>();
        for (var pass = 0; pass < 3; pass++)
        {
            var now = Now.AddSeconds(5 * pass);
            var due = NudgeSelection.Due(operations, nudgedAt, now, NudgeAfter, max: 100);
            foreach (var operation in due) nudgedAt[operation.OperationId] = now;
            passes.Add(due);
        }

        Assert.Equal([100, 100, 50], passes.Select(p => p.Count));
        Assert.Equal(operations.OrderByDescending(o => Now - o.ProgressedAt).Take(100), passes[0]);
        Assert.Equal(passes.SelectMany(p => p).Count(), passes.SelectMany(p => p).Distinct().Count());
    }

    [Fact]
    public void OnlyOperationsQuietForNudgeAfter_SinceTheirProgressOrTheirLastNudge()
    {
        var recent = Quiet(minutesAgo: 0);
        var old = Quiet(minutesAgo: 5);
        var nudgedLately = Quiet(minutesAgo: 5);
        var nudgedAt = new Dictionary<Guid, DateTimeOffset> { [nudgedLately.OperationId] = Now.AddSeconds(-30) };

        Assert.Equal([old], NudgeSelection.Due([recent, old, nudgedLately], nudgedAt, Now, NudgeAfter, max: 100));
    }
}
