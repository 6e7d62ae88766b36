using System.Collections;
using System.Diagnostics;
using System.Net;
using EventSourced.Broker.Tests.Hosting;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace EventSourced.Broker.Tests.Telemetry;

/// <summary>
/// The broker in this process (all roles, simulated backend, real PostgreSQL and RabbitMQ) with OpenTelemetry's in-memory
/// exporter: a provisioning is ONE trace, from the PUT through the log, the bus and every step to its
/// <c>ServiceInstanceProvisioned</c> being carried out of the log.
/// </summary>
[Collection(InProcessBroker.Collection)]
public sealed class TraceTests : IAsyncLifetime
{
    private BrokerEnvironment _environment = null!;

    public async Task InitializeAsync() => _environment = await BrokerEnvironment.Create(new Dictionary<string, string>
    {
        ["Provisioners__Backend"] = "simulated",
        ["Broker__Telemetry__Enabled"] = "true",
    });

    public async Task DisposeAsync() => await _environment.DisposeAsync();

    [Fact]
    public async Task Provision_IsOneTrace_FromThePutToItsProvisionedEventLeavingTheLog()
    {
        var spans = new LockedList<Activity>();
        await using var broker = new InProcessBroker(_environment, services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        var client = broker.Client;
        var instanceId = Guid.NewGuid();

        Assert.Equal(HttpStatusCode.Accepted, (await client.Provision(instanceId)).StatusCode);
        Assert.Equal("succeeded", (await client.PollUntilDone(instanceId)).State);

        var stream = ServiceInstance.StreamId(instanceId);
        var provisionedForward = $"{nameof(ServiceInstanceProvisioned)} forward";
        var forwards = await Eventually.Until(
            () => Task.FromResult(spans.Snapshot().Where(s => s.Source.Name == EventTrace.ActivitySourceName && (string?)s.GetTagItem("broker.stream") == stream).ToList()),
            found => found.Any(s => s.DisplayName == provisionedForward),
            $"the span of {nameof(ServiceInstanceProvisioned)} leaving the log for {stream}");
        var put = Assert.Single(spans.Snapshot(), s => s.Kind == ActivityKind.Server && s.DisplayName.StartsWith("PUT ")
            && ((string?)s.GetTagItem("url.path"))?.Contains(instanceId.ToString()) == true);
        var trace = put.TraceId;
        // A span is exported when it ends: a parent still running when the last event left the log (a consumer finishing
        // its step) shows up a moment later. The trace is read once every span in it has its parent.
        var all = await Eventually.Until(() => Task.FromResult(spans.Snapshot()),
            found => found.Where(s => s.TraceId == trace).All(s => s.SpanId == put.SpanId || found.Any(p => p.SpanId == s.ParentSpanId)),
            "every span of the PUT's trace exported with its parent", seconds: 10);

        Assert.True(forwards.All(s => s.TraceId == trace),
            $"events of the instance forwarded outside the PUT's trace {trace}:\n{string.Join("\n", forwards.Select(s => $"{s.DisplayName} {s.TraceId}"))}");
        Assert.Contains(forwards, s => s.DisplayName == $"{nameof(ServiceInstanceProvisioningRequested)} forward");
        var inTrace = all.Where(s => s.TraceId == trace).ToList();
        Assert.Contains(inTrace, s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer);
        Assert.Contains(inTrace, s => s.Source.Name == "Npgsql");
        // Every span of the trace hangs from the PUT: one tree, no second root.
        Assert.Equal([put.SpanId], inTrace.Where(s => !inTrace.Any(p => p.SpanId == s.ParentSpanId)).Select(s => s.SpanId));
    }

    /// <summary>The exporter adds from the exporting thread while the test reads: a list behind a lock.</summary>
    private sealed class LockedList<T> : ICollection<T>
    {
        private readonly List<T> _items = [];
        public List<T> Snapshot() { lock (_items) return [.. _items]; }
        public void Add(T item) { lock (_items) _items.Add(item); }
        public void Clear() { lock (_items) _items.Clear(); }
        public bool Contains(T item) { lock (_items) return _items.Contains(item); }
        public void CopyTo(T[] array, int arrayIndex) { lock (_items) _items.CopyTo(array, arrayIndex); }
        public bool Remove(T item) { lock (_items) return _items.Remove(item); }
        public int Count { get { lock (_items) return _items.Count; } }
        public bool IsReadOnly => false;
        public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
