using System.Text.Json;
using Json.Schema;

namespace EventSourced.Commands.Catalog;

public enum SchemaKind { ServiceInstanceCreate, ServiceInstanceUpdate, ServiceBindingCreate }

/// <summary>The parameter schemas of every plan, compiled once at start with JsonSchema.Net, and request parameters checked against them.</summary>
public sealed class PlanSchemas
{
    private static readonly JsonElement NoParameters = JsonDocument.Parse("{}").RootElement;
    private static readonly EvaluationOptions Evaluation = new() { OutputFormat = OutputFormat.Hierarchical, RequireFormatValidation = true };
    private readonly Dictionary<(string PlanId, SchemaKind Kind), PlanSchema> _schemas;

    private PlanSchemas(Dictionary<(string, SchemaKind), PlanSchema> schemas) => _schemas = schemas;

    public JsonElement? Find(ServicePlan plan, SchemaKind kind) => _schemas.TryGetValue((plan.Id, kind), out var schema) ? schema.Document : null;

    /// <summary>Every schema error of the parameters (absent parameters count as <c>{}</c>), each with its location; none when the plan has no such schema.</summary>
    public IReadOnlyList<string> Validate(ServicePlan plan, SchemaKind kind, JsonElement? parameters) =>
        _schemas.TryGetValue((plan.Id, kind), out var schema) ? SchemaErrors.Of(schema.Compiled.Evaluate(parameters ?? NoParameters, Evaluation)) : [];

    /// <summary>Compiles every configured schema file once; what is missing, unreadable or not a usable schema goes to <paramref name="problems"/>.</summary>
    internal static PlanSchemas Load(IReadOnlyList<ServiceOffering> services, List<string> problems)
    {
        // One registry per catalog: a schema's $id is registered, and the same $id twice in one registry is refused.
        var options = new BuildOptions { DialectRegistry = SchemaDialects.Strict, SchemaRegistry = new SchemaRegistry() };
        var compiled = new Dictionary<string, PlanSchema?>();
        var schemas = new Dictionary<(string, SchemaKind), PlanSchema>();
        foreach (var (service, i) in services.Select((s, i) => (s, i)))
        foreach (var (plan, j) in service.Plans.Select((p, j) => (p, j)))
        foreach (var (kind, file) in Files(plan.Schemas))
        {
            var path = Path.GetFullPath(file, AppContext.BaseDirectory);
            if (!compiled.TryGetValue(path, out var schema))
                compiled[path] = schema = SchemaFile.Compile(path, $"Catalog:Services:{i}:Plans:{j}:Schemas:{kind}", options, problems);
            if (schema is not null) schemas[(plan.Id, kind)] = schema;
        }
        return new PlanSchemas(schemas);
    }

    private static IEnumerable<(SchemaKind, string)> Files(PlanSchemaFiles files)
    {
        if (!string.IsNullOrWhiteSpace(files.ServiceInstanceCreate)) yield return (SchemaKind.ServiceInstanceCreate, files.ServiceInstanceCreate);
        if (!string.IsNullOrWhiteSpace(files.ServiceInstanceUpdate)) yield return (SchemaKind.ServiceInstanceUpdate, files.ServiceInstanceUpdate);
        if (!string.IsNullOrWhiteSpace(files.ServiceBindingCreate)) yield return (SchemaKind.ServiceBindingCreate, files.ServiceBindingCreate);
    }
}
