using EventSourced.Commands.EventStore;
using EventSourced.Commands.Secrets;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.SubProvisioners;
using EventSourced.TestSupport;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Provisioners.Tests.SubProvisioners;

/// <summary>
/// One sub-provisioner on MassTransit's in-memory harness, over the real event store (a database of its own) and the
/// backends the test registers.
/// </summary>
internal sealed class SubProvisionerHost : IAsyncDisposable
{
    private readonly PostgresDatabase _database;
    private readonly ServiceProvider _provider;

    private SubProvisionerHost(PostgresDatabase database, ServiceProvider provider) => (_database, _provider) = (database, provider);

    public IServiceProvider Services => _provider;
    public ServiceInstanceStore Store => _provider.GetRequiredService<ServiceInstanceStore>();
    public ITestHarness Harness => _provider.GetRequiredService<ITestHarness>();

    public static async Task<SubProvisionerHost> Start<TConsumer>(Action<IServiceCollection> backends) where TConsumer : class, IConsumer
    {
        var database = await PostgresDatabase.Create();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
        }).Build();
        var services = new ServiceCollection();
        services.AddEventStore(configuration);
        services.AddSingleton<ServiceInstanceStore>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new SecretProtector(Convert.ToBase64String(new byte[32])));
        services.AddSingleton<OutcomeRecorder>();
        services.AddSingleton<EventSourced.Provisioners.Backends.ProvisionerBackends>();
        backends(services);
        services.AddMassTransitTestHarness(x => x.AddConsumer<TConsumer>());
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<ITestHarness>().Start();
        return new SubProvisionerHost(database, provider);
    }

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        await _database.DisposeAsync();
    }
}
