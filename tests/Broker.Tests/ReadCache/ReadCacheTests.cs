using EventSourced.Broker.Tests.Hosting;
using EventSourced.TestSupport;
using Xunit.Abstractions;

namespace EventSourced.Broker.Tests.ReadCache;

/// <summary>
/// The per-node read cache of last_operation, across two broker processes on one database: B's answers, from its cache,
/// see what A committed before the poll was sent, never go back, and stay right while B's change listener is cut off.
/// </summary>
public sealed class ReadCacheTests(TwoNodes nodes, ITestOutputHelper output) : IClassFixture<TwoNodes>
{
    [Fact]
    public async Task PollOnB_RightAfterA202_AnswersTheNewOperation_50Times()
    {
        // Provisioned first, all at once: B's cache then holds each one's succeeded provisioning.
        var instances = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => nodes.Provisioning()));
        var stale = new List<string>();
        foreach (var ((instanceId, provision), round) in instances.Select((instance, i) => (instance, i)))
        {
            var deprovision = await nodes.Deprovision(instanceId);
            var without = await nodes.PollB(instanceId);
            var withOperation = await nodes.PollB(instanceId, deprovision);
            // The cache holds the deprovisioning now: a poll for the provisioning is not answered with it.
            var earlier = await nodes.PollB(instanceId, provision);

            var byVersion = await nodes.AnswersByVersion(instanceId);
            var answers = byVersion.Where(a => a.Operation == deprovision).Select(a => a.Answer).ToHashSet();
            var provisioned = byVersion.Last(a => a.Operation == provision).Answer;
            if (!answers.Contains(withOperation) || !answers.Contains(without) || earlier != provisioned)
                stale.Add($"round {round}, instance {instanceId}: B answered '{withOperation}' (operation={deprovision}), '{without}' and " +
                          $"'{earlier}' (operation={provision}); the deprovisioning's answers are {string.Join(", ", answers)}, " +
                          $"the provisioning's last '{provisioned}'");
        }
        Assert.True(stale.Count == 0, string.Join("\n", stale) + "\n" + nodes.B.Output);
    }

    [Fact]
    public async Task PollsOnB_WhileAUpdatesSeveralTimes_NeverGoBack()
    {
        var instanceId = await nodes.Provisioned();
        var seen = new List<string>();
        using var updating = new CancellationTokenSource();
        var polling = Task.Run(async () =>
        {
            while (!updating.IsCancellationRequested) seen.Add(await nodes.PollB(instanceId));
        });
        for (var i = 0; i < 6; i++)
        {
            await nodes.Update(instanceId, 60 + i);
            Assert.Equal("succeeded", (await nodes.A.Client.PollUntilDone(instanceId)).State);
        }
        await updating.CancelAsync();
        await polling;
        seen.Add(await nodes.PollB(instanceId));

        // Some order of versions that never decreases must explain every answer, in the order given; the last is the latest.
        var byVersion = await nodes.AnswersByVersion(instanceId);
        var at = 0;
        foreach (var (answer, index) in seen.Select((a, i) => (a, i)))
        {
            var next = Enumerable.Range(at, byVersion.Count - at).FirstOrDefault(v => byVersion[v].Answer == answer, -1);
            Assert.True(next >= 0, $"answer {index} '{answer}' is of no version at or after {at + 1}; " +
                                   $"answers so far: {string.Join(" / ", seen.Take(index + 1).TakeLast(8))}");
            at = next;
        }
        Assert.Equal(byVersion[^1].Answer, seen[^1]);
        output.WriteLine($"{seen.Count} polls on B over {byVersion.Count} versions");
    }

    [Fact]
    public async Task ListenerConnectionKilled_AnswersStayRight_AndTheCacheResumesEmptied()
    {
        var (missed, polledMeanwhile) = (await nodes.Provisioned(), await nodes.Provisioned());
        var listener = await Eventually.Until(nodes.ListenerOfB, pid => pid is not null, "B's change listener is connected", details: () => nodes.B.Output);
        // B's cache holds both instances as they are now.
        Assert.Equal("succeeded|Provisioned", await nodes.PollB(missed));
        Assert.Equal("succeeded|Provisioned", await nodes.PollB(polledMeanwhile));

        await nodes.Terminate(listener!.Value);
        await Eventually.True(async () => await nodes.ListenerOfB() is null, "B's change listener is gone");
        // Committed, to the end, while B listens to nothing: B never gets these notifications.
        var (deprovisionMissed, deprovisionPolled) = (await nodes.Deprovision(missed), await nodes.Deprovision(polledMeanwhile));
        var meanwhile = await nodes.PollB(polledMeanwhile);
        Assert.Equal(System.Net.HttpStatusCode.Gone, (await nodes.A.Client.PollUntilDone(missed)).Status);
        var reconnected = await Eventually.Until(nodes.ListenerOfB, pid => pid is not null && pid != listener, "B's change listener is back",
            seconds: 60, details: () => nodes.B.Output);
        var afterwards = await nodes.PollB(missed);

        var polledAnswers = (await nodes.AnswersByVersion(polledMeanwhile)).Where(a => a.Operation == deprovisionPolled).Select(a => a.Answer).ToList();
        var missedAnswers = (await nodes.AnswersByVersion(missed)).Where(a => a.Operation == deprovisionMissed).Select(a => a.Answer).ToList();
        Assert.True(polledAnswers.Contains(meanwhile), $"while disconnected, B answered '{meanwhile}'; expected one of {string.Join(", ", polledAnswers)}\n{nodes.B.Output}");
        Assert.True(missedAnswers.Contains(afterwards), $"after reconnecting, B answered '{afterwards}'; expected one of {string.Join(", ", missedAnswers)}\n{nodes.B.Output}");
        output.WriteLine($"listener pid {listener} killed, back as {reconnected}");
    }
}
