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

    /// <summary>
    /// Compiles every configured schema file once; what is missing, unreadable or not a usable schema goes to
    /// <paramref name="problems"/>. A service's provisioner offerings (<paramref name="offeringsOf"/>) are added to the
    /// create and update schemas of its plans, or make those schemas when a plan has none.
    /// </summary>
    internal static PlanSchemas Load(IReadOnlyList<(ServiceOffering Service, string Where)> services,
        Func<ServiceOffering, IReadOnlyDictionary<string, OfferingChoice>> offeringsOf, List<string> problems)
    {
        // One registry per catalog: a schema's $id is registered, and the same $id twice in one registry is refused.
        var options = new BuildOptions { DialectRegistry = SchemaDialects.Strict, SchemaRegistry = new SchemaRegistry() };
        var compiled = new Dictionary<string, PlanSchema?>();
        var schemas = new Dictionary<(string, SchemaKind), PlanSchema>();
        foreach (var (service, where) in services)
        {
            var offerings = offeringsOf(service);
            foreach (var (plan, j) in service.Plans.Select((p, j) => (p, j)))
            {
                var files = Files(plan.Schemas).ToDictionary();
                foreach (var kind in Enum.GetValues<SchemaKind>())
                {
                    var offered = offerings.Count > 0 && kind != SchemaKind.ServiceBindingCreate;
                    var setting = $"{where}:Plans:{j}:Schemas:{kind}";
                    PlanSchema? schema;
                    if (files.TryGetValue(kind, out var file))
                    {
                        var path = Path.GetFullPath(file, AppContext.BaseDirectory);
                        var key = offered ? $"{path}\n{service.Id}" : path;
                        if (!compiled.TryGetValue(key, out schema))
                            compiled[key] = schema = SchemaFile.Compile(path, setting, options, problems,
                                offered ? document => OfferingSchema.Add(document, offerings, setting, problems) : null);
                    }
                    else if (offered)
                        schema = SchemaFile.CompileDocument(OfferingSchema.Add(OfferingSchema.Empty, offerings, setting, problems),
                            $"offerings of service '{service.Name}'", setting, options, problems);
                    else continue;
                    if (schema is not null) schemas[(plan.Id, kind)] = schema;
                }
            }
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
