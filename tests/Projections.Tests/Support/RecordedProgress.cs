using EventSourced.Projections.Rebuild;

namespace EventSourced.Projections.Tests.Support;

/// <summary>
/// Records synchronously (<see cref="Progress{T}"/> posts reports and may deliver them after Rebuild returned), and
/// under a lock.
/// </summary>
public sealed class RecordedProgress : IProgress<RebuildProgress>
{
    private readonly Lock gate = new();
    private readonly List<RebuildProgress> reports = [];

    public IReadOnlyList<RebuildProgress> Of(string projection)
    {
        lock (gate) return [.. reports.Where(r => r.Projection == projection)];
    }

    public void Report(RebuildProgress value)
    {
        lock (gate) reports.Add(value);
    }
}
