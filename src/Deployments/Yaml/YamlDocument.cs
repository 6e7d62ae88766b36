using System.Globalization;
using EventSourced.Deployments.Model;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace EventSourced.Deployments.Yaml;

/// <summary>Reads one YAML file defensively and hands out typed values by path, collecting an error (file, path,
/// line) for everything wrong instead of stopping at the first. Hostile input is refused before it is loaded:
/// aliases (the billion-laughs bomb needs them, and no cloud config or manifest does), documents nested too deep,
/// too large, or with too many nodes, and more than one document.</summary>
public sealed class YamlDocument
{
    public const int MaxBytes = 1 << 20;
    public const int MaxDepth = 32;
    public const int MaxNodes = 100_000;

    private readonly List<ConfigError> _errors;
    private Mark _lastMark = Mark.Empty;

    private YamlDocument(string file, List<ConfigError> errors)
    {
        File = file;
        _errors = errors;
    }

    public string File { get; }
    public IReadOnlyList<ConfigError> Errors => _errors;

    /// <summary>The root mapping, or null with the reason in <paramref name="document"/>'s errors.</summary>
    public static (YamlDocument Document, YamlMappingNode? Root) Load(string file, string text)
    {
        var document = new YamlDocument(file, []);
        if (text.Length > MaxBytes)
        {
            document.Error("", Mark.Empty, $"is {text.Length:N0} characters; at most {MaxBytes:N0} are read");
            return (document, null);
        }
        try
        {
            if (!document.Screen(text)) return (document, null);
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            {
                document.Error("", Mark.Empty, "is empty");
                return (document, null);
            }
            return (document, document.Map(stream.Documents[0].RootNode, ""));
        }
        catch (YamlException e)
        {
            document.Error("", e.Start, $"is not valid YAML: {Innermost(e).Message}");
            return (document, null);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // YamlDotNet's scanner throws these on some malformed input (an unclosed flow list before a key, for
            // one); the last node it read is as close to the mistake as it tells.
            document.Error("", document._lastMark, $"is not valid YAML after this point ({e.Message})");
            return (document, null);
        }
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;

    private bool Screen(string text)
    {
        var parser = new Parser(new StringReader(text));
        int depth = 0, nodes = 0, documents = 0;
        while (parser.MoveNext())
        {
            _lastMark = parser.Current!.Start;
            switch (parser.Current)
            {
                case AnchorAlias alias:
                    Error("", alias.Start, $"uses the alias *{alias.Value}; aliases are not accepted (they let a small file expand without bound)");
                    return false;
                case DocumentStart { IsImplicit: var _ } start when ++documents > 1:
                    Error("", start.Start, "holds more than one document");
                    return false;
                case MappingStart or SequenceStart when ++depth > MaxDepth:
                    Error("", parser.Current.Start, $"is nested deeper than {MaxDepth} levels");
                    return false;
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
            }
            if (parser.Current is NodeEvent && ++nodes > MaxNodes)
            {
                Error("", parser.Current.Start, $"has more than {MaxNodes:N0} nodes");
                return false;
            }
        }
        return true;
    }

    public void Error(string path, Mark mark, string message) =>
        _errors.Add(new ConfigError(File, path, (int)mark.Line, (int)mark.Column, message));

    public void Error(string path, YamlNode node, string message) => Error(path, node.Start, message);

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static string Kind(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Value: null or "" or "~" or "null" } => "nothing",
        _ => "a scalar",
    };

    public YamlMappingNode? Map(YamlNode node, string path)
    {
        if (node is YamlMappingNode map) return map;
        Error(path, node, $"expected a mapping, found {Kind(node)}");
        return null;
    }

    /// <summary>Errors for every key not in <paramref name="allowed"/>: a typo silently ignored is a setting the
    /// operator believes applied.</summary>
    public void OnlyKeys(YamlMappingNode map, string path, params string[] allowed)
    {
        foreach (var key in map.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value ?? "";
            if (!allowed.Contains(name))
                Error(Join(path, name), key, $"unknown key '{name}' (expected one of: {string.Join(", ", allowed)})");
        }
    }

    public YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static bool IsNull(YamlNode node) => node is YamlScalarNode { Value: null or "" or "~" or "null", Style: ScalarStyle.Plain or ScalarStyle.Any };

    public IReadOnlyList<(YamlNode Node, string Path)> List(YamlMappingNode map, string key, string path, bool required)
    {
        var at = Join(path, key);
        var node = Child(map, key);
        if (node is null || IsNull(node))
        {
            if (required) Error(at, node?.Start ?? map.Start, "is required");
            return [];
        }
        if (node is not YamlSequenceNode sequence)
        {
            Error(at, node, $"expected a list, found {Kind(node)}");
            return [];
        }
        return sequence.Children.Select((n, i) => (n, $"{at}[{i}]")).ToList();
    }

    public YamlMappingNode? OptionalMap(YamlMappingNode map, string key, string path)
    {
        var node = Child(map, key);
        return node is null || IsNull(node) ? null : Map(node, Join(path, key));
    }

    public string? Scalar(YamlNode node, string path)
    {
        if (node is YamlScalarNode scalar && !IsNull(node)) return scalar.Value;
        Error(path, node, $"expected a string, found {Kind(node)}");
        return null;
    }

    public string? String(YamlMappingNode map, string key, string path, bool required)
    {
        var at = Join(path, key);
        var node = Child(map, key);
        if (node is null || IsNull(node))
        {
            if (required) Error(at, node?.Start ?? map.Start, "is required");
            return null;
        }
        var value = Scalar(node, at);
        if (value is { Length: > 256 })
        {
            Error(at, node, $"is {value.Length} characters long; at most 256");
            return null;
        }
        return value;
    }

    public int? Int(YamlMappingNode map, string key, string path, bool required, int min, int max)
    {
        var at = Join(path, key);
        var node = Child(map, key);
        if (node is null || IsNull(node))
        {
            if (required) Error(at, node?.Start ?? map.Start, "is required");
            return null;
        }
        return Int(node, at, min, max);
    }

    public int? Int(YamlNode node, string path, int min, int max)
    {
        if (node is not YamlScalarNode { Value: { } text } || IsNull(node))
        {
            Error(path, node, $"expected a whole number, found {Kind(node)}");
            return null;
        }
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            Error(path, node, $"expected a whole number, found '{Shorten(text)}'");
            return null;
        }
        if (value < min || value > max)
        {
            Error(path, node, $"is {value}; expected {min} to {max}");
            return null;
        }
        return value;
    }

    public bool? Bool(YamlMappingNode map, string key, string path)
    {
        var at = Join(path, key);
        var node = Child(map, key);
        if (node is null || IsNull(node)) return null;
        if (node is YamlScalarNode { Value: "true" or "false" } scalar) return scalar.Value == "true";
        Error(at, node, $"expected true or false, found {(node is YamlScalarNode s ? $"'{Shorten(s.Value ?? "")}'" : Kind(node))}");
        return null;
    }

    public static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>Names must be unique in their list (AZs, vm types, groups, jobs…): a duplicate would make a
    /// reference ambiguous.</summary>
    public void Unique<T>(IEnumerable<(T Item, string? Name, YamlNode Node, string Path)> items, string what)
    {
        var seen = new HashSet<string>();
        foreach (var (_, name, node, path) in items)
            if (name is not null && !seen.Add(name))
                Error(path, node, $"duplicate {what} name '{name}'");
    }

    public bool IsName(string? name, YamlNode node, string path)
    {
        if (name is null) return false;
        if (name.Length is > 0 and <= 63 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) return true;
        Error(path, node, $"'{Shorten(name)}' is not a name (letters, digits, '-', '_', '.', at most 63)");
        return false;
    }
}
