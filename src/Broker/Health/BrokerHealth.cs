using System.Text.Json;
using EventSourced.Broker.Hosting;
using EventSourced.Provisioners.Backends;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EventSourced.Broker.Health;

/// <summary>
/// Two probes, both open (load balancers, process supervisors and Kubernetes ask them without credentials):
/// <list type="bullet">
/// <item><c>/health/live</c>: the process serves HTTP. No dependency is checked, so an outage of PostgreSQL or RabbitMQ
/// never gets a healthy process restarted (it recovers by itself once they are back).</item>
/// <item><c>/health/ready</c>: what the node depends on, each checked for real when asked: PostgreSQL always (every route
/// reads or appends there), RabbitMQ and the bus on worker nodes (the provisioning flow runs on them), the lag of
/// Marten's async projections and subscriptions on the nodes that run its daemon (projectors, workers), the data root on local-backend workers (the dedicated servers live
/// there). Any check failing answers 503 with every check's status and reason; a lagging projection only degrades (200):
/// taking the node out of rotation would not make the daemon catch up.</item>
/// </list>
/// </summary>
public static class BrokerHealth
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IServiceCollection AddBrokerHealth(this IServiceCollection services, IConfiguration configuration, BrokerRoles roles)
    {
        services.AddOptions<BrokerHealthOptions>().Bind(configuration.GetSection(BrokerHealthOptions.Section));
        var checks = services.AddHealthChecks()
            // The broker's own data source (from DI), so the check sees what the routes see.
            .AddNpgSql(name: "postgresql", timeout: CheckTimeout);
        if (roles.Worker)
        {
            services.AddSingleton<HealthCheckRabbitMqConnection>();
            checks.AddRabbitMQ(sp => sp.GetRequiredService<HealthCheckRabbitMqConnection>().Get(), name: "rabbitmq", timeout: CheckTimeout);
            if ((configuration[BackendServiceCollectionExtensions.BackendSetting]?.ToLowerInvariant() ?? "local") == "local")
                checks.AddCheck<LocalDataRootCheck>("local-data-root", timeout: CheckTimeout);
        }
        if (roles.Worker || roles.Projector) checks.AddCheck<ProjectionLagCheck>("projection-lag", timeout: CheckTimeout);
        return services;
    }

    public static IEndpointRouteBuilder MapBrokerHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = Write })
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get]))
            .AllowAnonymous();
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { ResponseWriter = Write })
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get]))
            .AllowAnonymous();
        return app;
    }

    /// <summary><c>{"status", "checks": {name: {"status", "description"}}}</c>: the reason a check failed, in a word an operator can act on.</summary>
    private static Task Write(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(entry => entry.Key, entry => new
            {
                status = entry.Value.Status.ToString(),
                description = entry.Value.Description ?? entry.Value.Exception?.GetBaseException().Message,
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
    }
}
