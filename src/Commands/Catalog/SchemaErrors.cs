using Json.Schema;

namespace EventSourced.Commands.Catalog;

/// <summary>Turns a hierarchical JsonSchema.Net result into one line per error: where in the parameters, then what.</summary>
internal static class SchemaErrors
{
    // A failing subschema under "if" or "not" is no violation: "if" only picks then/else, and "not" fails when its subschema passes.
    private static readonly string[] Conditions = ["if", "not"];

    internal static IReadOnlyList<string> Of(EvaluationResults result)
    {
        var errors = new List<string>();
        if (!result.IsValid) Collect(result, errors);
        return errors;
    }

    private static void Collect(EvaluationResults node, List<string> errors)
    {
        var before = errors.Count;
        foreach (var (keyword, message) in node.Errors ?? [])
            errors.Add(Line(node, keyword.Length == 0 ? "Value is not allowed" : message));
        foreach (var child in node.Details ?? [])
            if (!child.IsValid && !Conditions.Any(c => child.EvaluationPath[node.EvaluationPath.SegmentCount] == c)) Collect(child, errors);
        // JsonSchema.Net 8 reports no message of its own for a failed "not" or "oneOf".
        if (errors.Count == before) errors.Add(Line(node, $"Value does not match the schema at #{node.EvaluationPath}"));
    }

    private static string Line(EvaluationResults node, string message) => $"parameters{node.InstanceLocation}: {message.TrimEnd('.')}.";
}
