using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourced.Broker.Tests.Telemetry;

/// <summary>
/// The broker in the test process (as in production, on the environment's settings) with services added by the test,
/// e.g. an in-memory OpenTelemetry exporter; its client speaks OSB 2.17 with the platform's credentials.
/// Tests using one run in the <see cref="Collection"/>, one at a time: the broker's meters and activity sources are
/// process-wide, so two in-process brokers side by side would feed each other's exporters (the metrics test missed its
/// own measurements beside the trace test).
/// </summary>
internal sealed class InProcessBroker : IAsyncDisposable
{
    public const string Collection = "in-process broker";

    private readonly WebApplicationFactory<Program> _factory;

    public InProcessBroker(BrokerEnvironment environment, Action<IServiceCollection> configure)
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Production");
            foreach (var (key, value) in environment.Settings(httpPort: 1)) builder.UseSetting(key.Replace("__", ":"), value);
            builder.ConfigureServices(configure);
        });
        Client = _factory.CreateClient();
        Client.DefaultRequestHeaders.Authorization = new("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{environment.Username}:{environment.Password}")));
        Client.DefaultRequestHeaders.Add("X-Broker-API-Version", "2.17");
    }

    public HttpClient Client { get; }

    public IServiceProvider Services => _factory.Services;

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
    }
}
