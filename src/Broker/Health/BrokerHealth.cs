using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EventSourced.Broker.Health;

/// <summary>
/// <c>/health</c> (no credentials: load balancers and process supervisors ask it) reports what the node depends on, each
/// checked for real when asked: PostgreSQL always (every route reads or appends there), RabbitMQ on worker nodes (the
/// provisioning flow runs on it). Any check failing answers 503 with every check's status and reason.
/// </summary>
public static class BrokerHealth
{
    public const string Path = "/health";
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IServiceCollection AddBrokerHealth(this IServiceCollection services, bool runsProvisioners)
    {
        var checks = services.AddHealthChecks()
            // The broker's own data source (from DI), so the check sees what the routes see.
            .AddNpgSql(name: "postgresql", timeout: CheckTimeout);
        if (runsProvisioners)
        {
            services.AddSingleton<HealthCheckRabbitMqConnection>();
            checks.AddRabbitMQ(sp => sp.GetRequiredService<HealthCheckRabbitMqConnection>().Get(), name: "rabbitmq", timeout: CheckTimeout);
        }
        return services;
    }

    public static IEndpointConventionBuilder MapBrokerHealth(this IEndpointRouteBuilder app) =>
        app.MapHealthChecks(Path, new HealthCheckOptions { ResponseWriter = Write })
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get]))
            .AllowAnonymous();

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
