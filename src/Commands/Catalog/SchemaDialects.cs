using System.Text.Json;
using Json.Schema;

namespace EventSourced.Commands.Catalog;

/// <summary>The JSON Schema versions a plan schema may declare: those JsonSchema.Net 8 implements (it has no draft-04).</summary>
internal static class SchemaDialects
{
    private static readonly Dialect[] Accepted = [Dialect.Draft06, Dialect.Draft07, Dialect.Draft201909, Dialect.Draft202012];

    /// <summary>
    /// The accepted dialects with unknown keywords refused at build: JSON Schema would take them as annotations, so a
    /// misspelt constraint (<c>maximun</c>) would silently go unenforced.
    /// </summary>
    internal static DialectRegistry Strict { get; } = StrictRegistry();

    internal static string? Problem(JsonElement document)
    {
        if (document.ValueKind != JsonValueKind.Object) return "The schema must be a JSON object.";
        if (!document.TryGetProperty("$schema", out var declared))
            return "The schema must declare its JSON Schema version with \"$schema\" (OSB requires it).";
        if (declared.ValueKind == JsonValueKind.String && Accepted.Any(d => SameId(d.Id, declared.GetString()!))) return null;
        return $"\"$schema\" {declared.GetRawText()} is not supported: declare one of {string.Join(", ", Accepted.Select(d => d.Id))} (JsonSchema.Net 8 has no draft-04).";
    }

    private static bool SameId(Uri? id, string declared) => id?.OriginalString.TrimEnd('#') == declared.TrimEnd('#');

    private static DialectRegistry StrictRegistry()
    {
        var registry = new DialectRegistry();
        foreach (var dialect in Accepted) registry.Register(dialect.With([], dialect.Id, allowUnknownKeywords: false));
        return registry;
    }
}
