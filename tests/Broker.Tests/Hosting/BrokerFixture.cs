namespace EventSourced.Broker.Tests.Hosting;

/// <summary>One running broker on its own environment, shared by the tests of a class.</summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    public BrokerEnvironment Environment { get; private set; } = null!;
    public BrokerProcess Broker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Environment = await BrokerEnvironment.Create();
        Broker = await BrokerProcess.Start(Environment);
    }

    public async Task DisposeAsync()
    {
        await Broker.DisposeAsync();
        await Environment.DisposeAsync();
    }
}
