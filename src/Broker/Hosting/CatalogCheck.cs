using EventSourced.Commands.Catalog;

namespace EventSourced.Broker.Hosting;

/// <summary>
/// Builds the catalog before anything else starts, so a catalog configuration with a problem stops the broker at start
/// with every problem named by its setting, instead of a 500 at the first GET /v2/catalog.
/// </summary>
internal sealed class CatalogCheck(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken ct)
    {
        services.GetRequiredService<ServiceCatalog>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
