using System.Collections.Frozen;

namespace EventSourced.Provisioners.Backends;

/// <summary>The PostgreSQL server settings a service instance may choose, and the broker's defaults for the rest.</summary>
public static class ServerSettings
{
    public static readonly FrozenSet<string> Allowed = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        "max_connections", "shared_buffers", "work_mem", "statement_timeout", "log_min_duration_statement",
        // Set from the plan's VM type on the local backend (Deployments.VmTypeMemory); no plan schema offers them as parameters.
        "effective_cache_size", "maintenance_work_mem");

    public static readonly FrozenDictionary<string, string> Defaults = new Dictionary<string, string>
    {
        ["max_connections"] = "50",
        ["shared_buffers"] = "16MB",
    }.ToFrozenDictionary();

    /// <summary>
    /// The chosen settings with lower-case names, sorted. Refuses a name outside <see cref="Allowed"/> and a value that
    /// could not sit inside a quoted string of a configuration file.
    /// </summary>
    public static SortedDictionary<string, string> Validate(IReadOnlyDictionary<string, string> settings)
    {
        var chosen = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in settings)
        {
            if (!Allowed.Contains(name))
                throw new BackendException($"setting '{name}' cannot be configured: allowed are {string.Join(", ", Allowed.Order())}");
            if (value.Length == 0 || value.Any(c => char.IsControl(c) || c is '\'' or '"' or '\\'))
                throw new BackendException($"value of setting '{name}' must be non-empty, without quotes, backslashes or control characters");
            chosen[name.ToLowerInvariant()] = value;
        }
        return chosen;
    }

    /// <summary>What the server runs with: the chosen settings over the defaults.</summary>
    public static SortedDictionary<string, string> Effective(IReadOnlyDictionary<string, string>? chosen)
    {
        var effective = new SortedDictionary<string, string>(Defaults, StringComparer.Ordinal);
        foreach (var (name, value) in chosen ?? FrozenDictionary<string, string>.Empty) effective[name] = value;
        return effective;
    }
}
