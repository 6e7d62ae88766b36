using EventSourced.Commands.EventStore;
using EventSourced.Projections.Daemon;
using EventSourced.Projections.Subscriptions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EventSourced.Projections.Tests;

/// <summary>A broker node's projection daemon wired through DI, started and stopped like the host would.</summary>
public sealed class DaemonHost : IAsyncDisposable
{
    private readonly ServiceProvider services;
    private readonly IReadOnlyList<IHostedService> hosted;

    private DaemonHost(ServiceProvider services)
    {
        this.services = services;
        hosted = services.GetServices<IHostedService>().ToList();
    }

    public IServiceProvider Services => services;

    public static async Task<DaemonHost> Start(EventStore store, Action<SubscriptionOptions> configure)
    {
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(store)
            .AddProjectionDaemon(configure: configure)
            .AddProjection<StreamEventCounts>()
            .BuildServiceProvider();
        var host = new DaemonHost(services);
        foreach (var service in host.hosted) await service.StartAsync(CancellationToken.None);
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in hosted.Reverse()) await service.StopAsync(CancellationToken.None);
        await services.DisposeAsync();
    }
}
