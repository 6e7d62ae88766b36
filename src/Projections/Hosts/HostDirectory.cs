using EventSourced.Commands.Hosts;
using EventSourced.Projections.ServiceInstances;
using Marten;

namespace EventSourced.Projections.Hosts;

/// <summary>A registered host as operators see it: is it beating, and how full is it.</summary>
public sealed record HostStatus(string Name, string? Az, int? Capacity, int Instances, bool Live, DateTimeOffset RegisteredAt, DateTimeOffset LastSeenAt);

/// <summary>Where a new instance goes: a host, or none registered (any worker takes it), or every live host full.</summary>
public sealed record HostChoice(string? Host, string? Refusal);

/// <summary>The worker hosts, from their heartbeats and the instances living on each.</summary>
public sealed class HostDirectory(IDocumentStore store, LastOperations lastOperations, TimeProvider clock)
{
    /// <summary>
    /// How long placement works from one reading of the hosts (counting its own placements meanwhile): counting every
    /// instance per request would cost each PUT a scan. Other API nodes' placements show at the next reading, so a
    /// host can take a few more than its capacity when many nodes place at once.
    /// </summary>
    public static readonly TimeSpan PlacementReadingLifetime = TimeSpan.FromSeconds(2);

    private readonly Lock _lock = new();
    private (List<HostStatus> Hosts, DateTimeOffset ReadAt)? _reading;
    private Task? _readingInFlight;

    public async Task<IReadOnlyList<HostStatus>> List(CancellationToken ct = default)
    {
        await using var session = store.QuerySession();
        var hosts = await session.Query<RegisteredHost>().OrderBy(h => h.Id).ToListAsync(ct);
        var counts = await lastOperations.InstancesPerHost(ct);
        var now = clock.GetUtcNow();
        return hosts.Select(h => new HostStatus(h.Id, h.Az, h.Capacity, counts.GetValueOrDefault(h.Id), h.IsLive(now), h.RegisteredAt, h.LastSeenAt))
            .ToList();
    }

    /// <summary>
    /// The live host with the fewest instances (then by name, so that equal hosts fill in a stable order). No live
    /// host registered: no choice (the worker that makes the storage keeps the instance). Every live host full: refused.
    /// </summary>
    /// <param name="among">When given, only these hosts are candidates (those of the AZ an instance asks its primary in).</param>
    public async Task<HostChoice> Place(CancellationToken ct = default, IReadOnlySet<string>? among = null)
    {
        Task? reading;
        lock (_lock) reading = FreshReading() is null ? _readingInFlight ??= Task.Run(ReadLiveHosts, CancellationToken.None) : null;
        if (reading is not null) await reading.WaitAsync(ct);
        lock (_lock)
        {
            var hosts = _reading!.Value.Hosts;
            if (hosts.Count == 0) return new HostChoice(null, null);
            if (among is not null && !hosts.Any(h => among.Contains(h.Name)))
                return new HostChoice(null, $"No live worker host is in the AZ asked for the primary (its hosts: {string.Join(", ", among.Order())}).");
            var roomy = hosts.Where(h => among is null || among.Contains(h.Name)).Where(h => h.Capacity is null || h.Instances < h.Capacity)
                .OrderBy(h => h.Instances).ThenBy(h => h.Name, StringComparer.Ordinal).FirstOrDefault();
            if (roomy is null)
                return new HostChoice(null, $"Every worker host is full: {string.Join(", ", hosts.Select(h => $"{h.Name} {h.Instances}/{h.Capacity}"))}.");
            hosts[hosts.IndexOf(roomy)] = roomy with { Instances = roomy.Instances + 1 };
            return new HostChoice(roomy.Name, null);
        }
    }

    // One reading at a time for all the requests that find none fresh: counting the instances per host scans one row per
    // instance, and a burst of provisions each starting its own count was a scan per request (1,000 at once: 1,000 scans).
    private async Task ReadLiveHosts()
    {
        try
        {
            var live = (await List()).Where(h => h.Live).ToList();
            lock (_lock) _reading = (live, clock.GetUtcNow());
        }
        finally
        {
            lock (_lock) _readingInFlight = null;
        }
    }

    private List<HostStatus>? FreshReading()
    {
        lock (_lock) return _reading is { } r && clock.GetUtcNow() - r.ReadAt < PlacementReadingLifetime ? r.Hosts : null;
    }
}
