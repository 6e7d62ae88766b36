using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Broker.Tests.Chaos;

/// <summary>When a kill strikes: after a seeded delay, right after the broker accepted a request, or just after a step's event landed.</summary>
internal enum KillTrigger { AfterDelay, AfterAccepted, AfterStep }

/// <summary>
/// Broker: `kill -9` of the broker's PID, the tools it runs (initdb, pg_ctl) live on as orphans. ProcessTree: they die
/// with it, as in a container or VM that goes down.
/// </summary>
internal enum KillScope { Broker, ProcessTree }

/// <param name="Delay">For AfterDelay the wait after the broker is up; otherwise how long after the trigger the kill lands.</param>
/// <param name="StepEvent">For AfterStep: the event type whose next appearance in the log triggers the kill.</param>
internal sealed record KillSpec(KillTrigger Trigger, TimeSpan Delay, string? StepEvent, KillScope Scope)
{
    public override string ToString() =>
        $"{Trigger}{(StepEvent is null ? "" : $"({StepEvent})")}+{Delay.TotalMilliseconds:0}ms/{Scope}";
}

internal sealed record UpdateSpec(TimeSpan Delay, int MaxConnections);

/// <summary>
/// Everything random in a run, drawn up front from the seed: the same seed gives the same requests, values, triggers and
/// kill scopes however the run's timing falls out (the timing itself is the machine's).
/// </summary>
internal sealed record ChaosPlan(IReadOnlyList<TimeSpan> ProvisionDelays, IReadOnlyList<KillSpec> ProvisionKills,
    IReadOnlyList<UpdateSpec> Updates, IReadOnlyList<KillSpec> UpdateKills)
{
    private static readonly string[] ProvisionSteps =
        [nameof(ServiceInstanceProvisioningRequested), nameof(StorageProvisioned), nameof(ServerProvisioned), nameof(DatabaseProvisioned)];

    private static readonly string[] UpdateSteps = [nameof(ServiceInstanceUpdateRequested), nameof(ServerReconfigured)];

    public static ChaosPlan Create(ChaosSettings settings)
    {
        var random = new Random(settings.Seed);
        var provisionDelays = Enumerable.Range(0, settings.Provisions).Select(_ => Milliseconds(random, 0, 800)).ToList();
        var provisionKills = Kills(random, settings.KillsPerPhase, ProvisionSteps);
        var updates = Enumerable.Range(0, settings.Updates).Select(_ => new UpdateSpec(Milliseconds(random, 0, 800), random.Next(20, 201))).ToList();
        var updateKills = Kills(random, settings.KillsPerPhase, UpdateSteps);
        return new ChaosPlan(provisionDelays, provisionKills, updates, updateKills);
    }

    private static List<KillSpec> Kills(Random random, int count, string[] steps) => Enumerable.Range(0, count).Select(_ =>
    {
        var scope = random.NextDouble() < 0.7 ? KillScope.Broker : KillScope.ProcessTree;
        return random.Next(4) switch
        {
            0 => new KillSpec(KillTrigger.AfterAccepted, TimeSpan.Zero, null, scope),
            1 => new KillSpec(KillTrigger.AfterStep, Milliseconds(random, 0, 1000), steps[random.Next(steps.Length)], scope),
            _ => new KillSpec(KillTrigger.AfterDelay, Milliseconds(random, 300, 3000), null, scope),
        };
    }).ToList();

    private static TimeSpan Milliseconds(Random random, int min, int max) => TimeSpan.FromMilliseconds(random.Next(min, max + 1));
}
