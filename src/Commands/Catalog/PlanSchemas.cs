using System.Text.Json;

namespace EventSourced.Commands.Catalog;

public enum SchemaKind { ServiceInstanceCreate, ServiceInstanceUpdate, ServiceBindingCreate }

/// <summary>The parameter schemas of every plan, read once from their files at start, and request parameters checked against them.</summary>
public sealed class PlanSchemas
{
    private const int MaximumSchemaBytes = 64 * 1024;
    private static readonly JsonElement NoParameters = JsonDocument.Parse("{}").RootElement;
    private readonly Dictionary<(string PlanId, SchemaKind Kind), JsonElement> _schemas;

    private PlanSchemas(Dictionary<(string, SchemaKind), JsonElement> schemas) => _schemas = schemas;

    public JsonElement? Find(ServicePlan plan, SchemaKind kind) => _schemas.TryGetValue((plan.Id, kind), out var schema) ? schema : null;

    /// <summary>The schema errors of the parameters (absent parameters count as <c>{}</c>); none when the plan has no such schema.</summary>
    public IReadOnlyList<string> Validate(ServicePlan plan, SchemaKind kind, JsonElement? parameters) =>
        Find(plan, kind) is { } schema ? JsonSchemaSubset.Validate(schema, parameters ?? NoParameters) : [];

    /// <summary>Reads every configured schema file; what is missing, unreadable or outside the subset goes to <paramref name="problems"/>.</summary>
    internal static PlanSchemas Load(IReadOnlyList<ServiceOffering> services, List<string> problems)
    {
        var schemas = new Dictionary<(string, SchemaKind), JsonElement>();
        foreach (var (service, i) in services.Select((s, i) => (s, i)))
        foreach (var (plan, j) in service.Plans.Select((p, j) => (p, j)))
        foreach (var (kind, file) in Files(plan.Schemas))
        {
            var where = $"Catalog:Services:{i}:Plans:{j}:Schemas:{kind}";
            var schema = Read(file, where, problems);
            if (schema is not null) schemas[(plan.Id, kind)] = schema.Value;
        }
        return new PlanSchemas(schemas);
    }

    private static JsonElement? Read(string file, string where, List<string> problems)
    {
        var path = Path.IsPathRooted(file) ? file : Path.Combine(AppContext.BaseDirectory, file);
        if (!File.Exists(path))
        {
            problems.Add($"{where}: the schema file '{path}' does not exist.");
            return null;
        }
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length > MaximumSchemaBytes) problems.Add($"{where}: '{path}' is larger than 64 kB (the OSB limit).");
        JsonElement schema;
        try { schema = JsonDocument.Parse(bytes).RootElement; }
        catch (JsonException e)
        {
            problems.Add($"{where}: '{path}' is not valid JSON: {e.Message}");
            return null;
        }
        var found = JsonSchemaSubset.Check(schema);
        if (schema.ValueKind == JsonValueKind.Object && !schema.TryGetProperty("$schema", out _))
            found.Add("The schema must declare its JSON Schema version with \"$schema\" (OSB requires it).");
        problems.AddRange(found.Select(problem => $"{where} ('{path}'): {problem}"));
        return found.Count == 0 ? schema : null;
    }

    private static IEnumerable<(SchemaKind, string)> Files(PlanSchemaFiles files)
    {
        if (!string.IsNullOrWhiteSpace(files.ServiceInstanceCreate)) yield return (SchemaKind.ServiceInstanceCreate, files.ServiceInstanceCreate);
        if (!string.IsNullOrWhiteSpace(files.ServiceInstanceUpdate)) yield return (SchemaKind.ServiceInstanceUpdate, files.ServiceInstanceUpdate);
        if (!string.IsNullOrWhiteSpace(files.ServiceBindingCreate)) yield return (SchemaKind.ServiceBindingCreate, files.ServiceBindingCreate);
    }
}
