namespace EventSourced.ServiceManager.Tests.Support;

/// <summary>
/// Two real brokers on loopback (broker processes of ours on the simulated backend; B with another catalog), each with
/// its own database and virtual host, and the manager (in-process, in its own schema of broker A's database) with both
/// registered. Tests register their own platforms and visibilities, so they do not see each other's.
/// </summary>
public sealed class TwoBrokers : IAsyncLifetime
{
    public BrokerEnvironment EnvironmentA { get; private set; } = null!;
    public BrokerEnvironment EnvironmentB { get; private set; } = null!;
    public BrokerProcess BrokerA { get; private set; } = null!;
    public BrokerProcess BrokerB { get; private set; } = null!;
    public ManagerHost Manager { get; private set; } = null!;
    public string BrokerAId { get; private set; } = "";
    public string BrokerBId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        try
        {
            await Start();
        }
        catch
        {
            // Nothing of a fixture that failed to start is left running.
            await DisposeAsync();
            throw;
        }
    }

    private async Task Start()
    {
        var environments = await Task.WhenAll(BrokerEnvironment.Create(Catalogs.BrokerA()), BrokerEnvironment.Create(Catalogs.BrokerB()));
        (EnvironmentA, EnvironmentB) = (environments[0], environments[1]);
        var brokers = await Task.WhenAll(BrokerProcess.Start(EnvironmentA), BrokerProcess.Start(EnvironmentB));
        (BrokerA, BrokerB) = (brokers[0], brokers[1]);
        Manager = new ManagerHost(EnvironmentA.Database);
        BrokerAId = await Manager.Admin.RegisterBroker(BrokerA, EnvironmentA, "broker-a");
        BrokerBId = await Manager.Admin.RegisterBroker(BrokerB, EnvironmentB, "broker-b");
    }

    public string Output => $"broker A:\n{BrokerA.Output}\nbroker B:\n{BrokerB.Output}";

    public async Task DisposeAsync()
    {
        if (Manager is not null) await Manager.DisposeAsync();
        if (BrokerA is not null) await BrokerA.DisposeAsync();
        if (BrokerB is not null) await BrokerB.DisposeAsync();
        if (EnvironmentB is not null) await EnvironmentB.DisposeAsync();
        if (EnvironmentA is not null) await EnvironmentA.DisposeAsync();
    }
}
