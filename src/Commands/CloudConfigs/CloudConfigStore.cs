using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;

namespace EventSourced.Commands.CloudConfigs;

public sealed class CloudConfigStore(StreamStore streams)
{
    public async Task<CloudConfigHistory> Load(CancellationToken ct = default) =>
        CloudConfigHistory.Fold((await streams.Read(CloudConfigHistory.StreamId, ct)).Events);

    public Task<Decision> Update(UpdateCloudConfig command, EventMetadata metadata, CancellationToken ct = default) =>
        streams.Handle(CloudConfigHistory.StreamId,
            (events, _, _) => Task.FromResult(CloudConfigHistory.Decide(CloudConfigHistory.Fold(events), command)), metadata, ct: ct);
}
