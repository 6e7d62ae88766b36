namespace EventSourced.Broker.Tests.Hosting;

/// <summary>One running broker on its own environment, shared by the tests of a class.</summary>
public class BrokerFixture : IAsyncLifetime
{
    public BrokerEnvironment Environment { get; private set; } = null!;
    public BrokerProcess Broker { get; private set; } = null!;

    /// <summary>Settings over the environment's defaults, by environment variable name (none: the defaults).</summary>
    protected virtual IReadOnlyDictionary<string, string>? Settings => null;

    public async Task InitializeAsync()
    {
        Environment = await BrokerEnvironment.Create(Settings);
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
