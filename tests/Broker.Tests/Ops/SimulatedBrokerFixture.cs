using EventSourced.Broker.Tests.Hosting;

namespace EventSourced.Broker.Tests.Ops;

/// <summary>One broker on the simulated backend (no server processes: jobs end in moments), shared by the tests of a class.</summary>
public sealed class SimulatedBrokerFixture : BrokerFixture
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string> { ["Provisioners__Backend"] = "simulated" };
}
