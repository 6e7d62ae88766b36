namespace EventSourced.Broker.Tests.Hosting;

/// <summary>
/// One broker on the simulated backend whose every step takes a second, shared by the tests of a class that check the
/// OSB protocol's answers rather than the servers behind them: an operation is still visibly in progress right after
/// its 202, and it ends in seconds without starting a PostgreSQL server (which a loaded CI machine pays for in CPU).
/// </summary>
public sealed class SimulatedStepsFixture : BrokerFixture
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Provisioners__Backend"] = "simulated",
        ["Provisioners__Simulated__StepLatency"] = "00:00:01",
    };
}
