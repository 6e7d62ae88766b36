using System.Text.Json;
using Json.Schema;

namespace EventSourced.Commands.Catalog;

internal sealed record PlanSchema(JsonElement Document, JsonSchema Compiled);

/// <summary>Reads and compiles one plan schema file, naming every reason it cannot be used.</summary>
internal static class SchemaFile
{
    private const int MaximumBytes = 64 * 1024;

    /// <param name="amend">Changes the parsed document before it is compiled (a provisioner's offerings added to it).</param>
    internal static PlanSchema? Compile(string path, string where, BuildOptions options, List<string> problems,
        Func<JsonElement, JsonElement>? amend = null)
    {
        if (!File.Exists(path))
        {
            problems.Add($"{where}: the schema file '{path}' does not exist.");
            return null;
        }
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length > MaximumBytes) problems.Add($"{where}: '{path}' is larger than 64 kB (the OSB limit).");
        JsonElement document;
        try { document = JsonDocument.Parse(bytes).RootElement; }
        catch (JsonException e)
        {
            problems.Add($"{where}: '{path}' is not valid JSON: {e.Message}");
            return null;
        }
        if (amend is not null) document = amend(document);
        return CompileDocument(document, path, where, options, problems);
    }

    /// <summary>Compiles a schema document (read from <paramref name="path"/>, or made from configuration), naming every problem.</summary>
    internal static PlanSchema? CompileDocument(JsonElement document, string path, string where, BuildOptions options, List<string> problems)
    {
        var found = new List<string>();
        JsonSchema? compiled = null;
        if (SchemaDialects.Problem(document) is { } dialect) found.Add(dialect);
        else
        {
            try { compiled = JsonSchema.Build(document, options); }
            catch (Exception e) when (e is JsonSchemaException or ArgumentException) { found.Add($"not a valid JSON Schema: {e.Message}"); }
            if (compiled is not null) found.AddRange(SchemaChecks.Problems(compiled));
        }
        problems.AddRange(found.Select(problem => $"{where} ('{path}'): {problem}"));
        return found.Count == 0 ? new PlanSchema(document, compiled!) : null;
    }
}
