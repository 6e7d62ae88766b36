namespace EventSourced.Deployments.Planning;

/// <summary>What a changed job property demands, known to the service adapter (for PostgreSQL, <c>work_mem</c> is a
/// reload, <c>shared_buffers</c> a restart). A rule matches a job and a property path prefix; the longest prefix
/// wins; anything unmatched is <see cref="Default"/> (a restart: never assume a reload suffices).</summary>
public sealed record PropertyRules(IReadOnlyList<PropertyRule> Rules, ActionKind Default = ActionKind.Restart)
{
    public static readonly PropertyRules RestartOnAnyChange = new([]);

    public ActionKind For(string job, string property) =>
        Rules.Where(r => r.Job == job && (property == r.Prefix || property.StartsWith(r.Prefix + ".", StringComparison.Ordinal) || r.Prefix.Length == 0))
            .OrderByDescending(r => r.Prefix.Length).Select(r => (ActionKind?)r.Effect).FirstOrDefault() ?? Default;
}

public sealed record PropertyRule(string Job, string Prefix, ActionKind Effect);
