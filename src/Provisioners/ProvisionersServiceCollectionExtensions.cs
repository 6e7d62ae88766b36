using JasperFx;
using Marten;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Bus;
using EventSourced.Provisioners.Clusters;
using EventSourced.Provisioners.IntegrationEvents;
using EventSourced.Provisioners.Sagas;
using EventSourced.Provisioners.Sagas.Persistence;
using EventSourced.Provisioners.SubProvisioners;
using EventSourced.Provisioners.Watchdog;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners;

public static class ProvisionersServiceCollectionExtensions
{
    /// <summary>
    /// The bus side: the operation saga, the sub-provisioners and their backend, the watchdog, and the two Marten
    /// subscriptions that carry the log out (the bus forwarder and the dfe integration events).
    /// </summary>
    public static IServiceCollection AddProvisioners(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSagaDocuments();
        services.AddOptions<RabbitMqOptions>().Bind(configuration.GetSection(RabbitMqOptions.Section));
        services.AddOptions<OperationWatchdogOptions>().Bind(configuration.GetSection(OperationWatchdogOptions.Section));
        services.AddBackend(configuration);
        services.AddSingleton<OutcomeRecorder>();
        services.AddSingleton(sp => new BusForwarder(sp.GetRequiredService<IBus>, sp.GetServices<IForwardedEventsObserver>,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<BusForwarder>()));
        services.AddSingleton<IntegrationEventPublisher>();
        services.ConfigureMarten((sp, options) =>
        {
            options.Events.Subscribe(sp.GetRequiredService<BusForwarder>());
            options.Events.Subscribe(sp.GetRequiredService<IntegrationEventPublisher>());
        });
        services.AddHostedService<OperationWatchdog>();
        services.Configure<MassTransitHostOptions>(o =>
        {
            // Without this the host reports started before the endpoints bind their exchanges, and early publishes are lost.
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromMinutes(1);
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });
        services.AddMassTransit(bus =>
        {
            // MassTransit reports usage to its vendor over HTTP at every start unless told not to: the broker never phones home.
            bus.DisableUsageTelemetry();
            bus.SetKebabCaseEndpointNameFormatter();
            bus.AddConsumer<StorageSubProvisioner>();
            bus.AddConsumer<ServerSubProvisioner>();
            bus.AddConsumer<DatabaseSubProvisioner>();
            bus.AddConsumer<OperationRecorder>();
            bus.AddConsumer<BindingSubProvisioner>();
            bus.AddConsumer<OrphanRemover>();
            bus.AddConsumer<ChildDetacher>();
            bus.AddSagaStateMachine<InstanceOperationStateMachine, InstanceOperationState>().MartenRepository();
            bus.AddConfigureEndpointsCallback((context, _, endpoint) =>
            {
                // Saga state is optimistic (no row lock): a message that lost a race on its saga's revision is retried at
                // once against the fresh state, several times; anything else backs off.
                endpoint.UseMessageRetry(r =>
                {
                    r.Handle<JasperFx.ConcurrencyException>();
                    r.Handle<DocumentAlreadyExistsException>();
                    r.Immediate(20);
                });
                endpoint.UseMessageRetry(r =>
                {
                    r.Ignore<JasperFx.ConcurrencyException>();
                    r.Ignore<DocumentAlreadyExistsException>();
                    r.Intervals(100, 500, 1000, 2000, 5000);
                });
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit
                    && context.GetRequiredService<IOptions<RabbitMqOptions>>().Value.UsesQuorumQueues)
                    rabbit.SetQuorumQueue();
                endpoint.UseInMemoryOutbox(context);
                endpoint.UseConsumeFilter(typeof(LogScopeFilter<>), context);
            });
            bus.UsingRabbitMq((context, rabbit) =>
            {
                var o = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                rabbit.Host(o.Host, (ushort)o.Port, o.VirtualHost, h =>
                {
                    h.Username(o.Username);
                    h.Password(o.Password);
                    if (o.Nodes() is { Count: > 1 } nodes) h.UseCluster(cluster => { foreach (var (host, port) in nodes) cluster.Node($"{host}:{port}"); });
                });
                rabbit.ConfigureEndpoints(context);
            });
        });
        return services;
    }

    /// <summary>The saga state's place in Marten's schema, also for hosts without the bus (`db apply` creates it).</summary>
    public static IServiceCollection AddSagaDocuments(this IServiceCollection services) =>
        services.ConfigureMarten(SagaDocuments.Register<InstanceOperationState>);
}
