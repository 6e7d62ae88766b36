using EventSourced.Provisioners.Sagas.Persistence;
using EventSourced.Provisioners.Tests.Sagas.Orders;
using EventSourced.Provisioners.Tests.Sagas.Tickets;
using EventSourced.TestSupport;
using Marten;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventSourced.Provisioners.Tests.Sagas;

/// <summary>A whole process as the broker would run it: its own container and bus, the sagas stored as Marten documents.</summary>
internal sealed class OrderHost : IAsyncDisposable
{
    private readonly IHost _host;

    private OrderHost(IHost host) => _host = host;

    public IBus Bus => _host.Services.GetRequiredService<IBus>();
    public ILoadSagaRepository<OrderState> Orders => _host.Services.GetRequiredService<ILoadSagaRepository<OrderState>>();
    public StatesSeenByAnnouncements Announcements => _host.Services.GetRequiredService<StatesSeenByAnnouncements>();

    public static async Task<OrderHost> Start(PostgresDatabase database, RabbitMqVirtualHost virtualHost)
    {
        var builder = Host.CreateApplicationBuilder();
        // MassTransit keeps the first bus's logger factory in its LogContext, which flows to a host started later
        // from the same test; a host's own factory is disposed with it, so hosts here share one that never is.
        builder.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(NullLoggerFactory.Instance));
        builder.Services.AddSingleton(database.DataSource);
        // What the host's own Marten registration would provide; each host has its own store, as each process would.
        builder.Services.AddSingleton<IDocumentStore>(_ => SagaInfrastructure.CreateStore(database.ConnectionString));
        builder.Services.AddSingleton<StatesSeenByAnnouncements>();
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(o => o.WaitUntilStarted = true);
        builder.Services.AddMassTransit(x =>
        {
            x.SetKebabCaseEndpointNameFormatter();
            x.AddSagaStateMachine<OrderStateMachine, OrderState>(typeof(OrderStateDefinition))
                .MartenRepository();
            x.AddSagaStateMachine<TicketStateMachine, TicketState>(typeof(TicketStateDefinition))
                .MartenRepository();
            x.AddConsumer<AcceptanceAnnouncementConsumer>();
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
        return new OrderHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
