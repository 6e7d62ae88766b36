using EventSourced.Commands.EventStore;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Simulated;
using EventSourced.TestSupport;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Provisioners.Tests.Backends;

/// <summary>
/// <c>Provisioners:Simulated:Shared</c>: two workers' backends, each built as the broker builds it, on one database see
/// one simulated IaaS: a step on one finds what a step on the other made, and a worker started later finds it all.
/// </summary>
public sealed class SharedSimulatedBackendTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private PostgresDatabase _database = null!;
    private readonly List<ServiceProvider> _workers = [];

    public async Task InitializeAsync() => _database = await PostgresDatabase.Create();

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers) await worker.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task StepsOnTwoWorkers_SeeOneIaas_AndAWorkerStartedLaterToo()
    {
        var (first, second) = (await Worker(), await Worker());
        var id = Guid.NewGuid();

        await Storage(first).Provision(id, 512, None);
        var endpoint = await Servers(second).Provision(id, new Dictionary<string, string> { ["max_connections"] = "37" }, None);
        await Databases(first).Provision(id, "app", "app_admin", "pw", None);
        await Databases(second).CreateLogin(id, "app", "app_admin", "binding", "secret", validUntil: null, None);

        var later = await Worker();
        Assert.True(await Servers(later).IsRunning(id, None));
        Assert.Equal("37", (await Backend(later).SettingsOf(id))!["max_connections"]);
        Assert.True(await Backend(later).CanLogIn(id, "app", "binding", "secret", DateTimeOffset.UtcNow));
        Assert.Equal(endpoint, await Servers(later).Reconfigure(id, new Dictionary<string, string>(), None));
        Assert.Equal(ServerSettings.Defaults, await Backend(first).SettingsOf(id));
        await Assert.ThrowsAsync<BackendException>(() => Storage(first).Deprovision(id, None));

        await Servers(second).Deprovision(id, None);
        Assert.False(await Servers(first).IsRunning(id, None));
        await Storage(first).Deprovision(id, None);
        await Assert.ThrowsAsync<BackendException>(() => Servers(later).Provision(id, new Dictionary<string, string>(), None));
    }

    [Fact]
    public async Task Ports_AreNumberedOnceForAllWorkers_AndTheCapacityCountsEveryWorkersServers()
    {
        var (first, second) = (await Worker(capacity: 2), await Worker(capacity: 2));
        var ids = new[] { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        foreach (var id in ids) await Storage(first).Provision(id, 512, None);

        var one = await Servers(first).Provision(ids[0], new Dictionary<string, string>(), None);
        var two = await Servers(second).Provision(ids[1], new Dictionary<string, string>(), None);
        var full = await Assert.ThrowsAsync<BackendException>(() => Servers(first).Provision(ids[2], new Dictionary<string, string>(), None));

        Assert.NotEqual(one.Port, two.Port);
        Assert.Contains("capacity of 2", full.Message);
        // A running server is provisioned again (idempotent) at capacity, on its port.
        Assert.Equal(two, await Servers(first).Provision(ids[1], new Dictionary<string, string>(), None));
    }

    /// <summary>One worker's backend, registered and its tables created as the broker does it.</summary>
    private async Task<ServiceProvider> Worker(int capacity = 100_000)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = _database.ConnectionString,
            [BackendServiceCollectionExtensions.BackendSetting] = "simulated",
            ["Provisioners:Simulated:Shared"] = "true",
            ["Provisioners:Simulated:Capacity"] = capacity.ToString(),
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddEventStore(configuration);
        services.AddBackend(configuration);
        var worker = services.BuildServiceProvider();
        _workers.Add(worker);
        await worker.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        return worker;
    }

    private static SharedSimulatedBackend Backend(IServiceProvider worker) => Assert.IsType<SharedSimulatedBackend>(worker.GetRequiredService<IServerBackend>());
    private static IStorageBackend Storage(IServiceProvider worker) => worker.GetRequiredService<IStorageBackend>();
    private static IServerBackend Servers(IServiceProvider worker) => worker.GetRequiredService<IServerBackend>();
    private static IDatabaseBackend Databases(IServiceProvider worker) => worker.GetRequiredService<IDatabaseBackend>();
}
