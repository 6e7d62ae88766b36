using System.Net;
using EventSourced.Broker.Telemetry;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace EventSourced.Broker.Tests.Telemetry;

/// <summary>
/// The broker's own instruments through OpenTelemetry's in-memory metric exporter (broker in this process, all roles,
/// simulated backend): a provisioning shows up in <c>broker.operation.duration</c> (kind Provision, succeeded) and in the
/// <c>broker.operations</c> gauge, and the projections' lag is reported.
/// </summary>
[Collection(InProcessBroker.Collection)]
public sealed class MetricsTests : IAsyncLifetime
{
    private BrokerEnvironment _environment = null!;

    public async Task InitializeAsync() => _environment = await BrokerEnvironment.Create(new Dictionary<string, string>
    {
        ["Provisioners__Backend"] = "simulated",
        ["Broker__Telemetry__Enabled"] = "true",
    });

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public async Task Provision_IsCountedWithItsDuration_AndProjectionLagIsReported()
    {
        var metrics = new List<Metric>();
        await using var broker = new InProcessBroker(_environment, services => services.ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(metrics)));
        var client = broker.Client;
        var instanceId = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.Accepted, (await client.Provision(instanceId)).StatusCode);
        Assert.Equal("succeeded", (await client.PollUntilDone(instanceId)).State);
        var provider = broker.Services.GetRequiredService<MeterProvider>();

        // The gauges are read every BrokerMetrics.Interval; the duration is recorded when the forwarder carries the end out.
        var seen = await Eventually.Until(() =>
        {
            metrics.Clear();
            provider.ForceFlush();
            return Task.FromResult(Points(metrics));
        }, points => points.Any(p => p.Name == "broker.operation.duration" && p.Tags == "kind=Provision,state=succeeded" && p.Value >= 1)
                     && points.Any(p => p.Name == "broker.operations" && p.Tags == "kind=Provision,state=succeeded" && p.Value == 1),
            "the provisioning in broker.operation.duration and broker.operations", seconds: BrokerMetrics.Interval.TotalSeconds * 3);
        Assert.Contains(seen, p => p.Name == "broker.projection.lag" && p.Tags.StartsWith("projection="));
    }

    /// <summary>Each point as (instrument, its tags sorted as k=v joined by commas, its value: a gauge's value, a histogram's count).</summary>
    private static List<(string Name, string Tags, double Value)> Points(IEnumerable<Metric> metrics)
    {
        var points = new List<(string, string, double)>();
        foreach (var metric in metrics)
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var tags = new List<string>();
                foreach (var tag in point.Tags) tags.Add($"{tag.Key}={tag.Value}");
                tags.Sort(StringComparer.Ordinal);
                double value = metric.MetricType switch
                {
                    MetricType.Histogram => point.GetHistogramCount(),
                    MetricType.LongGauge => point.GetGaugeLastValueLong(),
                    MetricType.DoubleGauge => point.GetGaugeLastValueDouble(),
                    MetricType.LongSum => point.GetSumLong(),
                    MetricType.DoubleSum => point.GetSumDouble(),
                    _ => double.NaN,
                };
                points.Add((metric.Name, string.Join(",", tags), value));
            }
        return points;
    }
}
