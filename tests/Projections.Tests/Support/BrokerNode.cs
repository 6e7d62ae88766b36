using System.Security.Cryptography;
using EventSourced.Commands;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.ReadCache;
using EventSourced.Projections.ServiceBindings;
using EventSourced.Projections.ServiceInstances;
using EventSourced.TestSupport;
using JasperFx.Events.Daemon;
using Marten;
using Marten.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EventSourced.Projections.Tests.Support;

/// <summary>
/// One broker node's write and read side, wired as the broker wires them (AddEventStore, AddCommands, AddReadModels),
/// on a test database; with Marten's async daemon in HotCold mode, or without any daemon.
/// </summary>
public sealed class BrokerNode : IAsyncDisposable
{
    private static readonly string SecretKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private readonly IHost host;
    private bool stopped;

    private BrokerNode(IHost host) => this.host = host;

    public IServiceProvider Services => host.Services;
    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();
    public ServiceInstanceStore Instances => Services.GetRequiredService<ServiceInstanceStore>();
    public ServiceBindingStore Bindings => Services.GetRequiredService<ServiceBindingStore>();
    public LastOperations LastOperations => Services.GetRequiredService<LastOperations>();
    public BindingOperations BindingOperations => Services.GetRequiredService<BindingOperations>();
    public InstanceDirectory Directory => Services.GetRequiredService<InstanceDirectory>();

    /// <param name="daemon">Run Marten's async daemon (HotCold); without it the async projections stand still.</param>
    /// <param name="configure">Applied to Marten's options after the event store's own configuration.</param>
    /// <param name="readCache">With the read cache of last_operation rows and its change listener, as the broker has them.</param>
    public static async Task<BrokerNode> Start(PostgresDatabase db, bool daemon, Action<StoreOptions>? configure = null, bool readCache = false)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = db.ConnectionString,
            ["Secrets:Key"] = SecretKey,
            ["EventStore:AutoCreate"] = "CreateOrUpdate",
        });
        builder.Services.AddLogging();
        var marten = builder.Services.AddEventStore(builder.Configuration);
        builder.Services.AddCommands(builder.Configuration);
        builder.Services.AddReadModels();
        if (readCache) builder.Services.AddReadCache(builder.Configuration);
        if (configure is not null) builder.Services.ConfigureMarten(configure);
        if (daemon) marten.AddAsyncDaemon(DaemonMode.HotCold);

        var node = new BrokerNode(builder.Build());
        await node.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await node.host.StartAsync();
        return node;
    }

    /// <summary>Until every async projection has processed the whole log (Marten compares its progress with the log's head).</summary>
    public Task CaughtUp(double seconds = 30) => Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(seconds));

    /// <summary>Stops the node as a shutdown would: the daemon lets go of its projections.</summary>
    public async Task Stop()
    {
        if (stopped) return;
        stopped = true;
        await host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Stop();
        host.Dispose();
    }
}
