using EventSourced.Commands.ServiceInstances;
using EventSourced.Provisioners.Backends;
using EventSourced.Provisioners.Backends.Local;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using InstanceDirectoryView = EventSourced.Projections.ServiceInstances.InstanceDirectory;

namespace EventSourced.Provisioners.Reconciler;

/// <summary>
/// Compares the local backend (instance folders, their data — a PostgreSQL cluster, a Redis data directory — and recorded
/// ports, live servers and the ports they answer on) with the log, and reports every difference as a <see cref="Drift"/>
/// and a warning in the log. It never deletes or starts anything: a leaked directory may be the only copy of someone's data.
/// <para>
/// The instances compared are those with a folder in the data root (only folders named as instance ids: test fixtures and
/// other tools keep their own folders there) and those the instance directory lists. Each is judged on its own stream,
/// read fresh: one with an operation in progress is skipped (its steps create and remove things on purpose), and one
/// whose stream moved while the backend was looked at is looked at again, so a step finishing meanwhile is not drift.
/// </para>
/// </summary>
public sealed class DriftReconciler(
    InstanceDirectoryView directory, ServiceInstanceStore instances, LocalServerBackend servers, ProvisionerBackends backends,
    IOptions<LocalBackendOptions> backend, TimeProvider clock, ILogger<DriftReconciler> log)
{
    private const int Attempts = 3;

    public async Task<DriftReport> Check(CancellationToken ct)
    {
        var ids = servers.InstanceFolders().ToHashSet();
        var orphans = servers.OrphanPostmasters().ToLookup(orphan => orphan.InstanceId);
        ids.UnionWith(orphans.Select(group => group.Key));
        foreach (var row in await directory.List(int.MaxValue, ct))
            if (row.DataDirectory is not null || row.Port is not null) ids.Add(row.InstanceId);
        var drifts = new List<Drift>();
        var skipped = 0;
        foreach (var id in ids.Order())
        {
            if (await Compare(id, orphans[id], ct) is { } found) drifts.AddRange(found);
            else skipped++;
        }
        foreach (var drift in drifts)
            log.LogWarning("Drift {Kind} of instance {InstanceId}: {Description}", drift.Kind, drift.InstanceId, drift.Description);
        return new DriftReport(clock.GetUtcNow(), backend.Value.DataRoot, ids.Count - skipped, skipped, drifts);
    }

    /// <returns>The instance's drift; null when an operation is in progress (or its stream kept moving).</returns>
    private async Task<IReadOnlyList<Drift>?> Compare(Guid instanceId, IEnumerable<OrphanPostmaster> orphans, CancellationToken ct)
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var (state, version) = await instances.Load(instanceId, ct);
            if (state.Busy) return null;
            // Each instance is looked into by its own server implementation (a folder no instance owns, as PostgreSQL's);
            // one the check cannot look into (the simulated backend's) is not compared.
            if ((state.Status == InstanceStatus.None ? servers : backends.ServerOf(state.ServiceId)) is not IObservableServer server) return [];
            var observed = await server.Observe(instanceId, ct);
            if ((await instances.Load(instanceId, ct)).Version != version) continue;
            return observed is null ? WithoutFolder(instanceId, state, orphans.ToList()) : Differences(instanceId, state, observed, server);
        }
        return null;
    }

    /// <summary>No folder: what the log says should be there is missing, and a postmaster still running in its removed directory is named.</summary>
    private static List<Drift> WithoutFolder(Guid id, ServiceInstance state, IReadOnlyList<OrphanPostmaster> orphans)
    {
        var drifts = new List<Drift>();
        var running = string.Join(", ", orphans.Select(orphan => $"postmaster {orphan.Pid} still runs in {orphan.DataDirectory}"));
        if (state.Storage is { } storage)
            drifts.Add(new(DriftKind.MissingDataDirectory, id,
                $"the log says its storage is {storage.DataDirectory}; there is no such folder" + (running.Length > 0 ? $" ({running})" : "")));
        if (state.Server is { Port: var port } && orphans.Count == 0)
            drifts.Add(new(DriftKind.MissingServer, id, $"the log says its server runs on port {port}; it has no data directory and no postmaster"));
        if (state.Server is null && orphans.Count > 0)
            drifts.Add(new(DriftKind.LeakedServer, id, $"{running}, whose instance folder is gone, and the log says {Describe(state)}"));
        return drifts;
    }

    private static List<Drift> Differences(Guid id, ServiceInstance state, LocalServerObservation observed, IObservableServer server)
    {
        var drifts = new List<Drift>();
        var port = state.Server?.Port;
        var postmaster = observed.PostmasterPid is { } pid
            ? $"{server.ProcessName} {pid} runs on port {observed.ListeningPort?.ToString() ?? "?"}"
            : $"no {server.ProcessName} runs";
        if (state.Storage is null)
        {
            drifts.Add(new(DriftKind.LeakedDataDirectory, id,
                $"{observed.Path} has no instance in the log that owns it (the log says {Describe(state)}); {postmaster}"));
            if (observed.PostmasterPid is not null)
                drifts.Add(new(DriftKind.LeakedServer, id, $"{postmaster} in {observed.Path}, and the log says {Describe(state)}"));
            return drifts;
        }
        if (port is null)
        {
            if (observed.PostmasterPid is not null)
                drifts.Add(new(DriftKind.LeakedServer, id, $"{postmaster}, but the log says the instance has no server"));
            return drifts;
        }
        if (!observed.HasCluster)
            drifts.Add(new(DriftKind.MissingDataDirectory, id, $"the log says its server runs on port {port}; {observed.Path} holds no {server.DataName}"));
        if (!observed.Answers)
            drifts.Add(new(DriftKind.MissingServer, id,
                $"the log says its server runs on port {port}; {(observed.PostmasterPid is null ? $"no {server.ProcessName} runs" : postmaster + " and does not answer")}"));
        if (observed.RecordedPort is { } recorded && recorded != port)
            drifts.Add(new(DriftKind.PortMismatch, id, $"the log says port {port}; the backend recorded port {recorded} (server.json)"));
        else if (observed.ListeningPort is { } listening && listening != port)
            drifts.Add(new(DriftKind.PortMismatch, id, $"the log says port {port}; its {server.ProcessName} listens on port {listening}"));
        return drifts;
    }

    private static string Describe(ServiceInstance state) =>
        state.Status == InstanceStatus.None ? "no such instance" : $"the instance is {state.Status} with no {(state.Storage is null ? "storage" : "server")}";
}
