namespace EventSourced.Projections.Rebuild;

/// <param name="Processed">Events folded into the projection so far.</param>
/// <param name="Total">Events of the projection's streams when the rebuild started.</param>
public sealed record RebuildProgress(string Projection, long Processed, long Total, double EventsPerSecond);
