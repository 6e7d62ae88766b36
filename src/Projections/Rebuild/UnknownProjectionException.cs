namespace EventSourced.Projections.Rebuild;

public sealed class UnknownProjectionException(string name, IEnumerable<string> known)
    : ArgumentException($"No projection is named '{name}'. Known projections: {string.Join(", ", known.Order(StringComparer.Ordinal))}.", nameof(name));
