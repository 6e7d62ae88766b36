using EventSourced.Broker.Admin;
using EventSourced.Broker.Catalog;
using EventSourced.Broker.CloudConfigs;
using EventSourced.Broker.Dashboard;
using EventSourced.Broker.Deployments;
using EventSourced.Broker.Health;
using EventSourced.Broker.Logging;
using EventSourced.Broker.Ops;
using EventSourced.Broker.Telemetry;
using EventSourced.Broker.Osb;
using EventSourced.Broker.ServiceBindings;
using EventSourced.Broker.ServiceInstances;
using EventSourced.Commands;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.Secrets;
using EventSourced.Projections;
using EventSourced.Projections.ReadCache;
using EventSourced.Provisioners;
using EventSourced.Provisioners.DeadLetters;
using JasperFx.Events.Daemon;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace EventSourced.Broker.Hosting;

public static class BrokerApplication
{
    public static WebApplicationBuilder AddBroker(this WebApplicationBuilder builder)
    {
        BrokerCredentials.Require(builder);
        builder.AddJsonLogs();
        var services = builder.Services;
        services.AddOptions<BrokerOptions>().Bind(builder.Configuration.GetSection(BrokerOptions.Section));
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<BrokerOptions>>((kestrel, broker) =>
        {
            kestrel.Limits.MaxRequestBodySize = broker.Value.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = broker.Value.MaxRequestHeadersTotalBytes;
        });
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddHostedService<CatalogCheck>();
        services.AddHostedService<SchemaCheck>();
        var marten = services.AddEventStore(builder.Configuration);
        services.AddCommands(builder.Configuration);
        var roles = BrokerRoles.From(builder.Configuration);
        services.AddSingleton(roles);
        OpsOptions.Require(builder, roles);
        services.AddOpsApi(builder.Configuration);
        // Every node applies the inline read models (it appends); the async ones run in the daemon of projector nodes.
        services.AddReadModels(runsAsyncProjections: roles.Projector || !roles.Worker);
        services.AddReadCache(builder.Configuration);
        services.AddSingleton<InstanceHistory>();
        EventSourced.Provisioners.Deployments.DeploymentOptions.AddTo(services, builder.Configuration);
        DeadLetterQueues.AddTo(services, builder.Configuration);
        services.AddBrokerHealth(builder.Configuration, roles);
        builder.AddBrokerTelemetry(roles);
        // An api-only node records commands and answers from the read models. Workers run the provisioning flow and a
        // daemon for the subscriptions that carry the log out (bus forwarder, dfe events); projectors a daemon for the
        // async read models; all against the same database and RabbitMQ. The bus is registered before the daemon, so it
        // starts first (it waits until its endpoints are bound): the forwarder must not publish a backlog into exchanges
        // that no queue is bound to yet (RabbitMQ drops it).
        if (roles.Worker) services.AddProvisioners(builder.Configuration);
        // HotCold leads each shard apart (RoleTests: a projector's daemon leading the read models does not keep a worker's
        // from running the forwarder), so nodes of any mix of roles share the work, each shard on one node at a time.
        if (roles.Worker || roles.Projector) marten.AddAsyncDaemon(DaemonMode.HotCold);
        services.AddOptions<DashboardOptions>().Bind(builder.Configuration.GetSection(DashboardOptions.Section))
            .Validate(o => string.IsNullOrEmpty(o.SigningKey) || o.SigningKey.Length >= DashboardOptions.MinimumSigningKeyLength,
                $"Dashboard:SigningKey must have at least {DashboardOptions.MinimumSigningKeyLength} characters (e.g. `openssl rand -base64 32`), or be left out to derive it from Secrets:Key.")
            .Validate(o => o.LinkLifetime > TimeSpan.Zero, "Dashboard:LinkLifetime must be positive (e.g. 30.00:00:00).")
            .ValidateOnStart();
        services.AddSingleton(sp => DashboardLinkSigner.From(sp.GetRequiredService<IOptions<DashboardOptions>>().Value, sp.GetRequiredService<SecretProtector>()));
        services.AddSingleton<DashboardLinks>();
        services.AddRazorComponents();
        services.AddSingleton<CatalogDocument>();
        services.AddSingleton<InstanceProvisioning>();
        services.AddSingleton<DeploymentPreview>();
        services.AddSingleton<CloudConfigs.CurrentCloudAzs>();
        services.AddSingleton<DiskUsageCheck>();
        return builder;
    }

    public static WebApplication MapBroker(this WebApplication app)
    {
        app.UseMiddleware<RequestLogScope>();
        app.UseMiddleware<PostgresUnavailable>();
        app.UseMiddleware<OsbBadRequests>();
        app.UseMiddleware<RequestBodyLimit>();
        app.UseMiddleware<BasicAuthentication>();
        app.Use((context, next) =>
        {
            if (context.Request.Headers.TryGetValue(OsbRequest.RequestIdentityHeader, out var requestIdentity))
            {
                if (requestIdentity.Count != 1 || !OsbRequest.IsValidRequestIdentity(requestIdentity[0]))
                    return OsbErrors.BadRequest($"{OsbRequest.RequestIdentityHeader} must be one value of printable ASCII characters.")
                        .ExecuteAsync(context);
                context.Response.Headers[OsbRequest.RequestIdentityHeader] = requestIdentity;
            }
            return next(context);
        });
        app.MapBrokerHealth();
        if (!app.Services.GetRequiredService<BrokerRoles>().Api) return app;
        app.MapGroup("/v2")
            .AddEndpointFilter<ApiVersion>()
            .AddEndpointFilter<OriginatingIdentityFilter>()
            .MapCatalog()
            .MapServiceInstances()
            .MapServiceBindings();
        app.MapGroup("/admin").MapAdmin().MapDeadLetters().MapOrphans();
        app.MapOpsApi().MapCloudConfig().MapDeployments();
        app.MapDashboard();
        return app;
    }
}
