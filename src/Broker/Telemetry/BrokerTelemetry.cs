using EventSourced.Broker.Hosting;
using EventSourced.Commands.EventStore;
using EventSourced.Provisioners.Bus;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace EventSourced.Broker.Telemetry;

/// <summary>
/// OpenTelemetry, on when there is somewhere to send it: the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (with the other
/// <c>OTEL_*</c> variables: protocol, headers, service name, resource attributes) exports traces and metrics over OTLP;
/// <c>Broker:Telemetry:Enabled=true</c> turns the instrumentation on without an exporter (for an exporter added in code).
/// Off, nothing is listened to and no span or measurement is made.
/// Traces: HTTP in (ASP.NET Core) and out, every SQL statement inside a trace (Npgsql), the bus (MassTransit's own
/// ActivitySource), and the forwarder that carries each event's trace on (<see cref="EventTrace"/>): one trace per
/// operation. Metrics: HTTP requests, and the broker's own (<see cref="BrokerMetrics"/>).
/// </summary>
public static class BrokerTelemetry
{
    public const string EnabledSetting = "Broker:Telemetry:Enabled";
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static bool IsOn(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[OtlpEndpointSetting]) || configuration.GetValue(EnabledSetting, false);

    public static WebApplicationBuilder AddBrokerTelemetry(this WebApplicationBuilder builder, BrokerRoles roles)
    {
        if (!IsOn(builder.Configuration)) return builder;
        builder.Services.AddSingleton<BrokerMetrics>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BrokerMetrics>());
        builder.Services.AddSingleton<IForwardedEventsObserver>(sp => sp.GetRequiredService<BrokerMetrics>());
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(serviceName: "service-broker", serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}")
                .AddAttributes([new("broker.roles", roles.ToString())]))
            .WithTracing(tracing => tracing
                .AddSource(EventTrace.ActivitySourceName, "MassTransit")
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(metrics => metrics
                .AddMeter(BrokerMetrics.MeterName, "MassTransit")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation());
        if (!string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointSetting])) telemetry.UseOtlpExporter();
        return builder;
    }
}
