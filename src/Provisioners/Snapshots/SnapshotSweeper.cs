using EventSourced.Commands.EventStore;
using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Hosts;
using EventSourced.Provisioners.Periodic;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventSourced.Provisioners.Snapshots;

/// <summary>
/// Retention: every <see cref="SnapshotOptions.SweepInterval"/>, removes the archives of this host's snapshots whose days to
/// keep ran out and records <see cref="SnapshotExpired"/> on their instance's stream (after the removal: a sweep that dies
/// between the two removes nothing twice, it only records next time). Also removes the staging folders of exports and
/// imports that died (a broker killed mid-dump) once they are older than any live one can be.
/// </summary>
public sealed class SnapshotSweeper(
    SnapshotCatalog catalog, SnapshotPaths paths, StreamStore streams, IOptions<SnapshotOptions> options, IOptions<WorkerHostOptions> host,
    TimeProvider clock, ILogger<SnapshotSweeper> log) : PeriodicPass(options.Value.SweepInterval, clock, log, "Snapshot retention sweep")
{
    public override Task Pass(CancellationToken ct) => Sweep(ct);

    public async Task Sweep(CancellationToken ct)
    {
        var now = Clock.GetUtcNow();
        paths.RemoveAbandonedStaging(now - 2 * options.Value.ToolTimeout);
        foreach (var snapshot in await catalog.Expired(now, 100, ct))
        {
            if (snapshot.Host is { } owner && owner != host.Value.Name) continue;
            if (paths.Holds(snapshot.Path) && File.Exists(snapshot.Path)) File.Delete(snapshot.Path);
            await streams.Handle(ServiceInstance.StreamId(snapshot.InstanceId),
                (events, _, _) => Task.FromResult(ServiceInstanceDecisions.Decide(events, snapshot.SnapshotId, now)),
                new EventMetadata(snapshot.JobId), ct: ct);
            log.LogInformation("Snapshot {SnapshotId} of instance {InstanceId} expired ({ExpiresAt:u}) and was removed",
                snapshot.SnapshotId, snapshot.InstanceId, snapshot.ExpiresAt);
        }
    }
}
