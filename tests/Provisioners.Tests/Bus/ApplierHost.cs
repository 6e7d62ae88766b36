using EventSourced.TestSupport;
using Marten;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventSourced.Provisioners.Tests.Bus;

/// <summary>A process with a MassTransit bus on the test virtual host, consuming scans with <see cref="ParcelScanApplier"/>.</summary>
internal sealed class ApplierHost : IAsyncDisposable
{
    private readonly IHost _host;

    private ApplierHost(IHost host) => _host = host;

    public IBus Bus => _host.Services.GetRequiredService<IBus>();
    public ParcelScanDeliveries Deliveries => _host.Services.GetRequiredService<ParcelScanDeliveries>();

    public static async Task<ApplierHost> Start(PostgresDatabase database, RabbitMqVirtualHost virtualHost)
    {
        var builder = Host.CreateApplicationBuilder();
        // Hosts started from one test process share a logger factory that is never disposed: each gets its own, or none.
        builder.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(NullLoggerFactory.Instance));
        builder.Services.AddMarten(options => ParcelLog.Configure(options, database)).UseLightweightSessions();
        builder.Services.AddSingleton<ParcelScanDeliveries>();
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(o => o.WaitUntilStarted = true);
        builder.Services.AddMassTransit(x =>
        {
            x.SetKebabCaseEndpointNameFormatter();
            x.AddConsumer<ParcelScanApplier>();
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(TestSettings.RabbitHost, (ushort)TestSettings.RabbitPort, virtualHost.Name, h =>
                {
                    h.Username(TestSettings.RabbitUsername);
                    h.Password(TestSettings.RabbitPassword);
                });
                cfg.ConfigureEndpoints(context);
            });
        });
        var host = builder.Build();
        await host.StartAsync();
        return new ApplierHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
