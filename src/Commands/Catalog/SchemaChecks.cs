using Json.Schema;

namespace EventSourced.Commands.Catalog;

/// <summary>
/// What JsonSchema.Net builds without complaint but cannot enforce: a <c>$ref</c> that does not resolve inside the schema
/// (it would throw at the first request that reaches it; OSB forbids external references anyway) and a <c>format</c> it
/// does not know (it would ignore it).
/// </summary>
internal static class SchemaChecks
{
    internal static List<string> Problems(JsonSchema schema)
    {
        var own = new HashSet<JsonSchemaNode>(ReferenceEqualityComparer.Instance);
        var references = new List<KeywordData>();
        var problems = new List<string>();
        Visit(schema.Root);
        problems.AddRange(references.Where(r => r.Subschemas is not [var target] || !own.Contains(target))
            .Select(r => $"\"$ref\" {r.RawValue.GetRawText()} does not resolve inside the schema (OSB forbids external references)."));
        return problems;

        void Visit(JsonSchemaNode node)
        {
            if (!own.Add(node)) return;
            foreach (var keyword in node.Keywords)
            {
                if (keyword.Handler.Name == "$ref")
                {
                    references.Add(keyword);
                    continue;
                }
                if (keyword.Handler.Name == "format" && FormatRegistry.Global.Get(keyword.RawValue.GetString()!) is UnknownFormat)
                    problems.Add($"\"format\" {keyword.RawValue.GetRawText()} is unknown to JsonSchema.Net, so it would not be enforced.");
                foreach (var subschema in keyword.Subschemas) Visit(subschema);
            }
        }
    }
}
