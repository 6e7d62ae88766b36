namespace EventSourced.Broker.Tests.Ops;

/// <summary>One broker on the simulated backend (no server processes: jobs end in moments), shared by the tests of a class.</summary>
public sealed class SimulatedBrokerFixture : IAsyncLifetime
{
    public BrokerEnvironment Environment { get; private set; } = null!;
    public BrokerProcess Broker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Environment = await BrokerEnvironment.Create(new Dictionary<string, string> { ["Provisioners__Backend"] = "simulated" });
        Broker = await BrokerProcess.Start(Environment);
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (Broker is not null) await Broker.DisposeAsync();
        }
        finally
        {
            if (Environment is not null) await Environment.DisposeAsync();
        }
    }
}
