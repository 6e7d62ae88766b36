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

    /// <summary>The environment (and its dedicated servers) goes even when stopping the broker fails, or it never started.</summary>
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
