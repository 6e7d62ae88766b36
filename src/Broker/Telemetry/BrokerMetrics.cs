using System.Diagnostics.Metrics;
using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Projections.ServiceInstances;
using EventSourced.Projections.Status;
using EventSourced.Provisioners.Bus;
using EventSourced.Provisioners.Sagas;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace EventSourced.Broker.Telemetry;

/// <summary>
/// The broker's own instruments (meter <c>EventSourced.Broker</c>):
/// <list type="bullet">
/// <item><c>broker.operations</c> (gauge): instances by their latest operation's kind and OSB state, from last_operations.</item>
/// <item><c>broker.operation.duration</c> (histogram, s): each instance operation that ended, by kind and state, from its
/// start to the event that ended it; recorded where the forwarder runs (one node at a time).</item>
/// <item><c>broker.projection.lag</c> (gauge, events): how far each async projection and subscription is behind the log.</item>
/// <item><c>broker.sagas</c> (gauge): operation sagas by state (the ones still running).</item>
/// </list>
/// The gauges are read from the database every <see cref="Interval"/> by this node, not at each collection, so a
/// collector asking often costs the database nothing more.
/// </summary>
public sealed class BrokerMetrics : BackgroundService, IForwardedEventsObserver
{
    public const string MeterName = "EventSourced.Broker";
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    /// <summary>The instance and operation an event ends, with how it ended; null for an event that ends none.</summary>
    private static (Guid InstanceId, Guid OperationId, string State)? Ending(object data) => data switch
    {
        ServiceInstanceProvisioned e => (e.InstanceId, e.OperationId, "succeeded"),
        ServiceInstanceUpdated e => (e.InstanceId, e.OperationId, "succeeded"),
        ServiceInstanceDeprovisioned e => (e.InstanceId, e.OperationId, "succeeded"),
        ServiceInstanceProvisioningFailed e => (e.InstanceId, e.OperationId, "failed"),
        ServiceInstanceUpdateFailed e => (e.InstanceId, e.OperationId, "failed"),
        ServiceInstanceDeprovisioningFailed e => (e.InstanceId, e.OperationId, "failed"),
        _ => null,
    };

    private readonly NpgsqlDataSource _dataSource;
    private readonly IDocumentStore _store;
    private readonly ProjectionStatus _projections;
    private readonly LastOperations _lastOperations;
    private readonly ILogger<BrokerMetrics> _log;
    private readonly Meter _meter = new(MeterName);
    private readonly Histogram<double> _durations;
    private volatile Snapshot _snapshot = new([], [], []);

    private sealed record Snapshot(
        IReadOnlyList<Measurement<long>> Operations, IReadOnlyList<Measurement<long>> Lags, IReadOnlyList<Measurement<long>> Sagas);

    public BrokerMetrics(NpgsqlDataSource dataSource, IDocumentStore store, ProjectionStatus projections, LastOperations lastOperations,
        ILogger<BrokerMetrics> log)
    {
        (_dataSource, _store, _projections, _lastOperations, _log) = (dataSource, store, projections, lastOperations, log);
        _meter.CreateObservableGauge("broker.operations", () => _snapshot.Operations, description: "Instances by their latest operation's kind and state");
        _meter.CreateObservableGauge("broker.projection.lag", () => _snapshot.Lags, unit: "{event}", description: "Events each projection is behind the log");
        _meter.CreateObservableGauge("broker.sagas", () => _snapshot.Sagas, description: "Operation sagas by state");
        _durations = _meter.CreateHistogram<double>("broker.operation.duration", unit: "s", description: "Instance operations from start to end");
    }

    public async Task Forwarded(IReadOnlyList<IEvent> events, CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            if (Ending(e.Data) is not { } ending) continue;
            var (_, operation) = await _lastOperations.FindOperation(ending.InstanceId, ending.OperationId, cancellationToken);
            if (operation is null) continue;
            _durations.Record((e.Timestamp - operation.StartedAt).TotalSeconds,
                new KeyValuePair<string, object?>("kind", operation.Kind.ToString()), new KeyValuePair<string, object?>("state", ending.State));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                _snapshot = await Read(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                _log.LogDebug(e, "Metrics not read this time");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<Snapshot> Read(CancellationToken ct)
    {
        var operations = new List<Measurement<long>>();
        await using (var command = _dataSource.CreateCommand(
                         $"SELECT operation_kind, operation_state, count(*) FROM {_store.Options.DatabaseSchemaName}.last_operations WHERE operation_id IS NOT NULL GROUP BY 1, 2"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                operations.Add(new(reader.GetInt64(2), new("kind", reader.GetString(0)), new("state", reader.GetString(1))));
        var lags = (await _projections.Read(ct)).Where(lag => lag.Kind != "inline")
            .Select(lag => new Measurement<long>(lag.Behind, new KeyValuePair<string, object?>("projection", lag.Name))).ToList();
        await using var session = _store.QuerySession();
        var sagas = (await session.Query<InstanceOperationState>().Select(s => s.CurrentState).ToListAsync(ct))
            .GroupBy(state => state).Select(g => new Measurement<long>(g.Count(), new KeyValuePair<string, object?>("state", g.Key))).ToList();
        return new Snapshot(operations, lags, sagas);
    }

    public override void Dispose()
    {
        _meter.Dispose();
        base.Dispose();
    }
}
