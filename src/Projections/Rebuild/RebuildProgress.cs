namespace EventSourced.Projections.Rebuild;

/// <param name="Processed">Events replayed into the projection so far (by this rebuild or a runner it alternated with).</param>
/// <param name="Total">Events visible in the log when the rebuild started.</param>
public sealed record RebuildProgress(string Projection, long Processed, long Total, double EventsPerSecond);
