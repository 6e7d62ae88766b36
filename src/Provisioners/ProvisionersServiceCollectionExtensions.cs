using JasperFx;
using Marten;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backups;
using EventSourced.Provisioners.Bus;
using EventSourced.Provisioners.Clusters;
using System.Runtime.CompilerServices;
using EventSourced.Provisioners.Hosts;
using EventSourced.Provisioners.IntegrationEvents;
using EventSourced.Provisioners.Sagas;
using EventSourced.Provisioners.Sagas.Persistence;
using EventSourced.Provisioners.Snapshots;
using EventSourced.Provisioners.SubProvisioners;
using EventSourced.Provisioners.Fleet;
using EventSourced.Provisioners.Watchdog;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using EventSourced.Provisioners.Backends.Local;
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
        services.AddOptions<OperationWatchdogOptions>().Bind(configuration.GetSection(OperationWatchdogOptions.Section))
            .Validate(o => o.MaxNudgesPerPass > 0, $"{OperationWatchdogOptions.Section}:MaxNudgesPerPass must be positive.").ValidateOnStart();
        services.AddOptions<WorkerHostOptions>().Bind(configuration.GetSection(WorkerHostOptions.Section))
            .Validate(o => WorkerHostOptions.IsValidName(o.Name),
                $"{WorkerHostOptions.Section}:Name must be 1 to 63 lower-case letters, digits and dashes (not at either end).")
            .Validate(o => o.Capacity is null or > 0, $"{WorkerHostOptions.Section}:Capacity must be positive.")
            .Validate(o => o.HeartbeatInterval > TimeSpan.Zero, $"{WorkerHostOptions.Section}:HeartbeatInterval must be positive.")
            .Validate(o => o.RemoteStepTimeout > TimeSpan.Zero && o.RemoteStepTimeout <= TimeSpan.FromDays(1),
                $"{WorkerHostOptions.Section}:RemoteStepTimeout must be positive and at most a day.")
            .ValidateOnStart();
        services.AddHostedService<HostHeartbeat>();
        services.AddBackend(configuration);
        services.AddSingleton<OutcomeRecorder>();
        services.AddSingleton<Deployments.InstanceDeployer>();
        services.AddSingleton<IRemoteReplicaSteps, BusReplicaSteps>();
        services.AddSingleton(sp => new BusForwarder(sp.GetRequiredService<IBus>, sp.GetServices<IForwardedEventsObserver>,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<BusForwarder>()));
        services.AddSingleton<IntegrationEventPublisher>();
        services.ConfigureMarten((sp, options) =>
        {
            options.Events.Subscribe(sp.GetRequiredService<BusForwarder>());
            options.Events.Subscribe(sp.GetRequiredService<IntegrationEventPublisher>());
        });
        services.AddHostedService<OperationWatchdog>();
        services.AddOptions<FleetRunnerOptions>().Bind(configuration.GetSection(FleetRunnerOptions.Section))
            .Validate(o => o.Interval > TimeSpan.Zero, $"{FleetRunnerOptions.Section}:Interval must be positive.").ValidateOnStart();
        services.AddHostedService<FleetRunner>();
        services.AddSnapshots(configuration);
        services.AddHostedService<SnapshotSweeper>();
        services.AddOptions<BackupOptions>().Bind(configuration.GetSection(BackupOptions.Section))
            .Validate(o => o.SchedulerInterval > TimeSpan.Zero, $"{BackupOptions.Section}:SchedulerInterval must be positive.").ValidateOnStart();
        services.AddSingleton<BackupRetention>();
        services.AddHostedService<BackupScheduler>();
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
            bus.AddConsumer<SnapshotExporter>();
            bus.AddConsumer<BackupTaker>();
            bus.AddConsumer<BackupRestorer>();
            bus.AddConsumer<ReplicaStepRunner>();
            bus.AddSagaStateMachine<InstanceOperationStateMachine, InstanceOperationState>().MartenRepository();
            bus.AddConfigureEndpointsCallback((context, _, endpoint) => ConfigureEndpoint(context, endpoint));
            bus.UsingRabbitMq((context, rabbit) =>
            {
                var o = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                rabbit.Host(o.Host, (ushort)o.Port, o.VirtualHost, h =>
                {
                    h.Username(o.Username);
                    h.Password(o.Password);
                    if (o.Nodes() is { Count: > 1 } nodes) h.UseCluster(cluster => { foreach (var (host, port) in nodes) cluster.Node($"{host}:{port}"); });
                });
                ConfigureHostedSteps(context, rabbit);
                rabbit.ConfigureEndpoints(context);
            });
        });
        return services;
    }

    /// <summary>
    /// The consumers that work on a host's own resources, each on two queues: its shared queue (bound to its messages'
    /// exchanges, as every consumer's), which carries out this host's work and forwards other hosts', and this host's own
    /// queue (bound to nothing: only forwarded messages reach it). Configured here, not by ConfigureEndpoints, which
    /// leaves out a consumer already configured on an endpoint.
    /// </summary>
    private static void ConfigureHostedSteps(IBusRegistrationContext context, IRabbitMqBusFactoryConfigurator rabbit)
    {
        Shared<StorageSubProvisioner>();
        Shared<ServerSubProvisioner>();
        Shared<DatabaseSubProvisioner>();
        Shared<BindingSubProvisioner>();
        Shared<OrphanRemover>();
        Shared<SnapshotExporter>();
        Shared<BackupTaker>();
        Shared<BackupRestorer>();
        rabbit.ReceiveEndpoint(HostQueue.Name(context.GetRequiredService<IOptions<WorkerHostOptions>>().Value.Name), endpoint =>
        {
            endpoint.ConfigureConsumeTopology = false;
            ConfigureEndpoint(context, endpoint);
            endpoint.ConfigureConsumer<StorageSubProvisioner>(context);
            endpoint.ConfigureConsumer<ServerSubProvisioner>(context);
            endpoint.ConfigureConsumer<DatabaseSubProvisioner>(context);
            endpoint.ConfigureConsumer<BindingSubProvisioner>(context);
            endpoint.ConfigureConsumer<OrphanRemover>(context);
            endpoint.ConfigureConsumer<SnapshotExporter>(context);
            endpoint.ConfigureConsumer<BackupTaker>(context);
            endpoint.ConfigureConsumer<BackupRestorer>(context);
            // Sent here only, by the host a replica's primary runs on.
            endpoint.ConfigureConsumer<ReplicaStepRunner>(context);
        });

        void Shared<T>() where T : class, IConsumer =>
            rabbit.ReceiveEndpoint(KebabCaseEndpointNameFormatter.Instance.Consumer<T>(), endpoint =>
            {
                ConfigureEndpoint(context, endpoint);
                endpoint.UseConsumeFilter(typeof(HostRouting<>), context);
                endpoint.ConfigureConsumer<T>(context);
            });
    }

    // Endpoints configured by hand may also get the configure-endpoints callback: each is configured once.
    private static readonly ConditionalWeakTable<IReceiveEndpointConfigurator, object> Configured = new();

    private static void ConfigureEndpoint(IRegistrationContext context, IReceiveEndpointConfigurator endpoint)
    {
        if (!Configured.TryAdd(endpoint, new object())) return;
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
    }

    /// <summary>
    /// Snapshot settings and what reads and verifies them (the API nodes' export and import requests too); the local
    /// backend's pg_dump/pg_restore when this node runs it.
    /// </summary>
    public static IServiceCollection AddSnapshots(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SnapshotOptions>().Bind(configuration.GetSection(SnapshotOptions.Section))
            .Validate(o => o.DaysToKeep >= 1 && o.DaysToKeep <= o.MaxDaysToKeep, $"{SnapshotOptions.Section}:DaysToKeep must be from 1 to MaxDaysToKeep.")
            .Validate(o => o.MaxDaysToKeep is >= 1 and <= 36500, $"{SnapshotOptions.Section}:MaxDaysToKeep must be from 1 to 36500.")
            .Validate(o => o.SweepInterval > TimeSpan.Zero && o.LinkLifetime > TimeSpan.Zero && o.ToolTimeout > TimeSpan.Zero,
                $"{SnapshotOptions.Section}:SweepInterval, LinkLifetime and ToolTimeout must be positive.")
            .Validate(o => string.IsNullOrWhiteSpace(o.Root) || Path.IsPathRooted(o.Root), $"{SnapshotOptions.Section}:Root must be an absolute path.")
            .ValidateOnStart();
        // The local backend's DataRoot places the default snapshots root, on api-only nodes too (which read archives there).
        services.AddOptions<LocalBackendOptions>().Bind(configuration.GetSection(LocalBackendOptions.SectionName));
        services.TryAddSingleton<SnapshotPaths>();
        services.TryAddSingleton<SnapshotCatalog>();
        services.TryAddSingleton<SnapshotRestorer>();
        services.TryAddSingleton<InstanceArchiver>();
        if ((configuration[BackendServiceCollectionExtensions.BackendSetting]?.ToLowerInvariant() ?? "local") == "local")
            services.TryAddSingleton<ISnapshotBackend, LocalPostgresSnapshots>();
        return services;
    }

    /// <summary>The saga state's place in Marten's schema, also for hosts without the bus (`db apply` creates it).</summary>
    public static IServiceCollection AddSagaDocuments(this IServiceCollection services) =>
        services.ConfigureMarten(SagaDocuments.Register<InstanceOperationState>);
}
