using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.Fleet;

/// <summary>Decisions on the stream of fleet runs <see cref="FleetHistory.StreamId"/>.</summary>
public sealed class FleetStore(StreamStore streams)
{
    public async Task<FleetHistory> Load(CancellationToken ct = default) =>
        FleetHistory.Fold((await streams.Read(FleetHistory.StreamId, ct)).Events);

    public Task<Decision> Start(StartFleetRun command, EventMetadata metadata, CancellationToken ct = default) =>
        Handle(history => FleetDecisions.Decide(history, command), metadata, ct);

    public Task<Decision> Advance(AdvanceFleetRun command, EventMetadata metadata, CancellationToken ct = default) =>
        Handle(history => FleetDecisions.Decide(history, command), metadata, ct);

    private Task<Decision> Handle(Func<FleetHistory, Decision> decide, EventMetadata metadata, CancellationToken ct) =>
        streams.Handle(FleetHistory.StreamId, (events, _, _) => Task.FromResult(decide(FleetHistory.Fold(events))), metadata, ct: ct);
}
