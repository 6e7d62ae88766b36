namespace EventSourced.Projections.Rebuild;

public sealed class UnknownProjectionException(string name, IEnumerable<string> known)
    : Exception($"There is no projection '{name}'. Known: {string.Join(", ", known.Order(StringComparer.Ordinal))}, or 'all'.");
