using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace EventSourced.Broker.Tests.Ops;

/// <summary>
/// The ops API's served OpenAPI document, as a checker of answers: an answer conforms when the document lists its status
/// for its route and method, and its JSON body validates against the schema given there (JsonSchema.Net; the document's
/// component schemas become <c>$defs</c>).
/// </summary>
public sealed class OpenApiDocument(JsonObject document)
{
    private static readonly EvaluationOptions Evaluation = new() { OutputFormat = OutputFormat.List };

    public JsonObject Document { get; } = document;

    /// <summary>Every operation of the document, as "METHOD /path/{param}".</summary>
    public IReadOnlyList<string> Operations =>
        [.. Document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject().Select(op => $"{op.Key.ToUpperInvariant()} {path.Key}"))];

    /// <summary>Null when the answer conforms, else what does not.</summary>
    public string? Problem(string method, string template, int status, string body)
    {
        var operation = Document["paths"]?[template]?[method.ToLowerInvariant()];
        if (operation is null) return $"{method} {template} is not in the document";
        var response = operation["responses"]?[status.ToString()];
        if (response is null) return $"{method} {template}: status {status} is not documented ({string.Join(", ", operation["responses"]!.AsObject().Select(r => r.Key))})";
        var schema = response["content"]?["application/json"]?["schema"];
        if (schema is null) return body.Length == 0 ? null : $"{method} {template} {status}: a body where the document has none";
        var results = Compile(schema).Evaluate(JsonDocument.Parse(body).RootElement, Evaluation);
        return results.IsValid
            ? null
            : $"{method} {template} {status}: {body}\n  " + string.Join("\n  ", (results.Details ?? []).Where(d => d.Errors is not null)
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
    }

    private JsonSchema Compile(JsonNode schema)
    {
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$defs"] = Document["components"]?["schemas"]?.DeepClone() ?? new JsonObject(),
            ["allOf"] = new JsonArray(schema.DeepClone()),
        };
        var text = root.ToJsonString().Replace("#/components/schemas/", "#/$defs/");
        return JsonSchema.Build(JsonDocument.Parse(text).RootElement, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    }
}
