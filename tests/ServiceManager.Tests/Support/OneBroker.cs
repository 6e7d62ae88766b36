namespace EventSourced.ServiceManager.Tests.Support;

/// <summary>
/// One real broker (broker A's catalog, simulated backend, with the settings of <see cref="Overrides"/>) registered at an
/// in-process manager. The broker can be killed and started again on the same port, where the manager knows it.
/// </summary>
public abstract class OneBroker : IAsyncLifetime
{
    public BrokerEnvironment Environment { get; private set; } = null!;
    public BrokerProcess Broker { get; private set; } = null!;
    public ManagerHost Manager { get; private set; } = null!;
    public string BrokerId { get; private set; } = "";

    protected virtual Dictionary<string, string> Overrides => [];

    public async Task InitializeAsync()
    {
        try
        {
            var settings = Catalogs.BrokerA();
            foreach (var (key, value) in Overrides) settings[key] = value;
            Environment = await BrokerEnvironment.Create(settings);
            Broker = await BrokerProcess.Start(Environment);
            Manager = new ManagerHost(Environment.Database);
            BrokerId = await Manager.Admin.RegisterBroker(Broker, Environment, "the-broker");
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>A platform that sees broker A's small plan, and its OSB client.</summary>
    public async Task<(Platform Platform, HttpClient Osb)> Platform()
    {
        var platform = await Manager.Admin.RegisterPlatform($"p-{Guid.NewGuid():N}");
        await Manager.Admin.Show(platform.Id, await Manager.Admin.PlanId(BrokerId, Catalogs.SmallA));
        return (platform, Manager.Osb(platform, BrokerId));
    }

    public async Task Kill() => await Broker.Kill();

    public async Task Restart()
    {
        var port = Broker.BaseAddress.Port;
        await Broker.DisposeAsync();
        Broker = await BrokerProcess.Start(Environment, port: port);
    }

    public async Task DisposeAsync()
    {
        if (Manager is not null) await Manager.DisposeAsync();
        if (Broker is not null) await Broker.DisposeAsync();
        if (Environment is not null) await Environment.DisposeAsync();
    }
}

/// <summary>A broker whose every provisioning fails (its simulated IaaS has room for no server): it rolls them back itself.</summary>
public sealed class FailingBroker : OneBroker
{
    protected override Dictionary<string, string> Overrides => new() { ["Provisioners__Simulated__Capacity"] = "0" };
}

/// <summary>
/// A broker that accepts every operation and never carries one out (an API node: no provisioning flow runs), whose small
/// plan promises at most 3 s of polling.
/// </summary>
public sealed class StalledBroker : OneBroker
{
    protected override Dictionary<string, string> Overrides => new()
    {
        ["Provisioners__Enabled"] = "false",
        ["Catalog__Services__0__Plans__0__MaximumPollingDuration"] = "3",
    };
}

/// <summary>A broker that works, to be killed and brought back.</summary>
public sealed class WorkingBroker : OneBroker;

/// <summary>Broker A on the local backend: its instances are real dedicated PostgreSQL servers.</summary>
public sealed class LocalBroker : OneBroker
{
    protected override Dictionary<string, string> Overrides => new() { ["Provisioners__Backend"] = "local" };
}
