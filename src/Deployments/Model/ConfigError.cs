namespace EventSourced.Deployments.Model;

/// <summary>One problem in an operator's or an adapter's YAML, located so that it can be fixed without guessing: the
/// file, the path inside it (<c>instance_groups[1].update.vm.surge</c>) and the line and column YamlDotNet saw it at.</summary>
public sealed record ConfigError(string File, string Path, int Line, int Column, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {(Path.Length == 0 ? "(document)" : Path)}: {Message}";
}

/// <summary>A file that did not load: every error found in it, not just the first, so one round trip fixes them all.</summary>
public sealed class ConfigException(IReadOnlyList<ConfigError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}
