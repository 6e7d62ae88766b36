using System.Text;
using System.Text.Json;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.ServiceInstances;
using Xunit.Abstractions;

namespace EventSourced.Broker.Tests.Chaos;

/// <summary>
/// The broker SIGKILLed at seeded random points of provisionings and updates with the real local backend: after the
/// last restart every operation ends, no dedicated server is leaked or made twice, and every server the log says exists
/// answers with its credentials and settings. Replay a failure with the CHAOS_* variables its output prints;
/// bench/chaos runs it longer.
/// </summary>
public sealed class BrokerKillChaosTests(ITestOutputHelper output)
{
    [Fact]
    public async Task BrokerKilledAtRandomPoints_EveryOperationEnds_AndNoServerIsLeakedOrMadeTwice()
    {
        var settings = ChaosSettings.FromEnvironment();
        var plan = ChaosPlan.Create(settings);
        var log = new StringBuilder();
        void Log(string line)
        {
            var stamped = $"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {line}";
            lock (log) log.AppendLine(stamped);
            output.WriteLine(stamped);
        }
        Log($"chaos run, replay with: {settings}");
        var started = DateTimeOffset.UtcNow;
        var logDirectory = Path.Combine(Path.GetTempPath(), "esb-chaos", $"{settings.Seed}-{started:yyyyMMddHHmmss}");
        var environment = await BrokerEnvironment.Create(PortRange(settings));
        ChaoticBroker? broker = null;
        var violations = new List<Violation>();
        var passed = false;
        try
        {
            broker = await ChaoticBroker.Start(environment, logDirectory);
            var run = new ChaosRun(settings, plan, environment, broker, Log);
            var (_, provisioning) = await run.Provision();
            var provisioned = (await InstanceHistory.All(environment))
                .Where(h => h.State.Status == InstanceStatus.Provisioned).Select(h => h.InstanceId).ToList();
            var updating = await run.Update(provisioned);

            var (histories, found) = await new ChaosAudit(environment).Run(broker);
            violations.AddRange(run.Refusals.Select(refusal => new Violation(null, $"the platform could not go on: {refusal}")));
            violations.AddRange(found);
            var figures = ChaosFigures.Of(settings, [provisioning, updating], broker.Kills, histories, violations, run, DateTimeOffset.UtcNow - started);
            Log(figures.ToString());
            if (settings.ReportFile is { } file)
                await File.WriteAllTextAsync(file, JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true }));

            if (violations.Count > 0)
                await ChaosEvidence.Write(environment, violations.Select(v => v.InstanceId).OfType<Guid>(), Path.Combine(logDirectory, "evidence.txt"));
            Assert.True(violations.Count == 0, Report(settings, violations, histories, broker.Kills, logDirectory));
            passed = true;
        }
        finally
        {
            await CleanUp(broker, environment, logDirectory, passed, Log);
        }
    }

    /// <summary>
    /// Every step runs even when one before it throws: the broker, the dedicated servers (stopped, their data root
    /// deleted), the database and virtual host, and at last whatever process of the run still lives under its data root.
    /// </summary>
    /// <param name="passed">The brokers' logs are kept for a failed run's report only; its clean-up failures are logged, not thrown over its own.</param>
    private static async Task CleanUp(ChaoticBroker? broker, BrokerEnvironment environment, string logDirectory, bool passed, Action<string> log)
    {
        var failures = new List<Exception>();
        async Task Step(Func<Task> step)
        {
            try
            {
                await step();
            }
            catch (Exception e)
            {
                failures.Add(e);
            }
        }
        if (broker is not null) await Step(async () => await broker.DisposeAsync());
        if (passed) await Step(() => Task.Run(() => Directory.Delete(logDirectory, recursive: true)));
        var before = failures.Count;
        await Step(async () => await environment.DisposeAsync());
        if (failures.Count > before)
        {
            // It stops at the first server it cannot deprovision: what it had still to drop is dropped here.
            await Step(async () => await environment.VirtualHost.DisposeAsync());
            await Step(async () => await environment.Database.DisposeAsync());
        }
        await Step(() => Task.Run(() =>
        {
            var leftovers = ServerProcesses.KillAllUnder(environment.DataRoot);
            if (leftovers > 0) log($"clean-up: {leftovers} processes of the run were still alive under {environment.DataRoot}, killed");
            if (Directory.Exists(environment.DataRoot)) Directory.Delete(environment.DataRoot, recursive: true);
        }));
        if (failures.Count == 0) return;
        if (passed) throw new AggregateException("the chaos run's clean-up failed", failures);
        foreach (var failure in failures) log($"clean-up failed: {failure}");
    }

    /// <summary>More instances than the environment's block of 40 ports get a range of their own, above the kernel's ephemeral ports.</summary>
    private static Dictionary<string, string> PortRange(ChaosSettings settings) => settings.Provisions <= 30
        ? []
        : new()
        {
            ["Provisioners__Local__PortRangeStart"] = "61000",
            ["Provisioners__Local__PortRangeEnd"] = (61000 + settings.Provisions + 20).ToString(),
        };

    private static string Report(ChaosSettings settings, IReadOnlyList<Violation> violations, IReadOnlyList<InstanceHistory> histories,
        IReadOnlyList<KillRecord> kills, string logDirectory)
    {
        var report = new StringBuilder($"{violations.Count} violations; replay with {settings}\n");
        foreach (var violation in violations.Where(v => v.InstanceId is null)) report.AppendLine($"- {violation}");
        foreach (var instance in violations.Where(v => v.InstanceId is not null).GroupBy(v => v.InstanceId!.Value))
        {
            report.AppendLine($"instance {instance.Key}:");
            foreach (var violation in instance) report.AppendLine($"  - {violation.What}");
            if (histories.FirstOrDefault(h => h.InstanceId == instance.Key) is { } history) report.AppendLine(history.Describe());
        }
        report.AppendLine("kills:");
        foreach (var kill in kills) report.AppendLine($"  {kill}");
        report.AppendLine($"broker logs and evidence (saga documents, progress, backend files): {logDirectory}");
        return report.ToString();
    }
}
